// Runs a notebook in a running JupyterLab with headless Chromium and reports what the page
// showed, as one JSON object on stdout (progress goes to stderr). tests/test_browser.py starts
// JupyterLab and calls it; it can also be run by hand:
//
//   node tests/browser/run-notebook.mjs --port 8899 --token TOKEN --notebook 01-stream.ipynb \
//     --shots /tmp/shots
//
// What it does, in order:
//  1. opens the notebook, waits for all its cells (--cells) and the kernel "Rust (eddy)" idle;
//  2. runs the code cells one by one as a person would: click the cell's prompt, Ctrl+Enter
//     (run the selected cell, do not advance), wait until its prompt reads [k]: for the k-th
//     cell run (the kernel is fresh); it stops at the first cell that shows an error;
//  3. when a cell has finished and its output is a running stream's live view
//     (`.eddy-stream`, state "running"), it samples that output before the next cell starts:
//     the serialized <svg> of the chart and a PNG clip of the view, at once and then from
//     `--gap` seconds on every 250 ms until both differ, the stream stops running, or
//     `--change-within` seconds pass. Nothing but the stream's thread can change the output
//     then (update_display_data after the cell finished);
//  4. runs the remaining cells (a notebook stops its stream in a later cell), saves the
//     notebook (Ctrl+S; the test reads the saved outputs), takes the final screenshot and
//     shuts the kernel down, which also ends a stream the notebook left running.
//
// It never downloads a browser: it drives the system Chromium (Debian's `chromium`) through
// `playwright-core`, which ./install.sh --test installs with `npm ci` into $EDDY_HOME/browser
// (tests/browser/package.json pins it). Exit status: 0 when the JSON says what happened (the
// test judges it), 2 for bad options, 3 when playwright-core or Chromium cannot be found.
//
// Options (or environment): --port (PORT), --token (TOKEN), --notebook (NOTEBOOK, relative to
// the server's root dir), --shots (SHOTS, directory for the PNGs), --readme-shot (a path the
// screenshot of the running stream is copied to), --chromium (CHROMIUM, /usr/bin/chromium),
// --pw-dir (PW_DIR, $EDDY_HOME/browser), --timeout seconds per cell (CELL_TIMEOUT, 180),
// --cells (how many cells the notebook has), --gap seconds before the second sample (1),
// --change-within seconds (30), --width/--height (PNG pixels of the page shots, 1400×900),
// --scale (PNG pixels per CSS pixel, 0.8).

import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const eddyHome =
  process.env.EDDY_HOME ?? path.join(process.env.XDG_DATA_HOME ?? path.join(homedir(), '.local/share'), 'eddy');

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '' },
    token: { type: 'string', default: process.env.TOKEN ?? '' },
    notebook: { type: 'string', default: process.env.NOTEBOOK ?? '' },
    cells: { type: 'string', default: '' },
    shots: { type: 'string', default: process.env.SHOTS ?? path.join(eddyHome, 'out', 'browser') },
    'readme-shot': { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    'pw-dir': { type: 'string', default: process.env.PW_DIR ?? path.join(eddyHome, 'browser') },
    timeout: { type: 'string', default: process.env.CELL_TIMEOUT ?? '180' },
    gap: { type: 'string', default: '1' },
    'change-within': { type: 'string', default: '30' },
    width: { type: 'string', default: '1400' },
    height: { type: 'string', default: '900' },
    scale: { type: 'string', default: '0.8' },
  },
});
const log = (msg) => console.error(`[run-notebook ${new Date().toISOString().slice(11, 23)}] ${msg}`);
if (!opt.port || !opt.token || !opt.notebook) {
  console.error('run-notebook.mjs: --port, --token and --notebook are required');
  process.exit(2);
}

// playwright-core from $EDDY_HOME/browser (install.sh), else from wherever node finds it.
let playwright;
try {
  playwright = createRequire(path.join(path.resolve(opt['pw-dir']), 'package.json'))('playwright-core');
} catch {
  try {
    playwright = await import('playwright-core');
  } catch {
    console.error(
      `run-notebook.mjs: the npm package playwright-core is not in ${opt['pw-dir']}: run ./install.sh --test, ` +
        `or: mkdir -p ${opt['pw-dir']} && cp tests/browser/package*.json ${opt['pw-dir']} && npm ci --prefix ${opt['pw-dir']}`,
    );
    process.exit(3);
  }
}
if (!existsSync(opt.chromium)) {
  console.error(`run-notebook.mjs: no Chromium at ${opt.chromium}: apt-get install chromium (as root), or ./install.sh --test`);
  process.exit(3);
}

const cellTimeout = Number(opt.timeout) * 1000;
const gapMs = Number(opt.gap) * 1000;
const changeWithinMs = Number(opt['change-within']) * 1000;
const url = `http://127.0.0.1:${opt.port}/lab/tree/${encodeURI(opt.notebook)}?token=${encodeURIComponent(opt.token)}`;
mkdirSync(opt.shots, { recursive: true });
const t0 = Date.now();
const since = () => Number(((Date.now() - t0) / 1000).toFixed(1));

const result = {
  notebook: opt.notebook,
  ok: false, // the driver got through every step (the test checks the rest)
  error: null,
  cells: [], // one per code cell run: index, prompt, mime types, error text, tables, charts
  live: null, // the running stream's output: samples and whether it changed
  final_state: null, // the live view's state line at the end, before the kernel shut down
  saved: false,
  shots: {},
  timings: {},
};

const scale = Number(opt.scale);
const userDataDir = mkdtempSync(path.join(tmpdir(), 'eddy-chromium-'));
const context = await playwright.chromium.launchPersistentContext(userDataDir, {
  executablePath: opt.chromium,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // A background tab must not throttle the live updates' timers.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
  ],
  viewport: {
    width: Math.round(Number(opt.width) / scale),
    height: Math.round(Number(opt.height) / scale),
  },
  deviceScaleFactor: scale,
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(cellTimeout);
const browserErrors = [];
page.on('pageerror', (err) => browserErrors.push(String(err).slice(0, 300)));

const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').first();
const cells = panel.locator('.jp-Notebook .jp-Cell');

async function shot(name, locator = page, options = {}) {
  // No hover overlays (an output's collapse bar, a toolbar) in the picture.
  await page.mouse.move(1, Number(opt.height) / scale - 2);
  const file = path.join(opt.shots, `${name}.png`);
  const png = await locator.screenshot({ path: file, animations: 'disabled', ...options });
  result.shots[name] = file;
  return png;
}

// Scrolls the notebook so that the bottom of `cell` is at the bottom of the window (or as
// far down as the notebook goes), with what is above it in view.
async function scrollToBottomOf(cell, settleMs = 300) {
  await cell.evaluate((el) => {
    const outer = el.closest('.jp-WindowedPanel-outer');
    const by = el.getBoundingClientRect().bottom - outer.getBoundingClientRect().bottom + 8;
    outer.scrollBy(0, by);
  });
  if (settleMs) await page.waitForTimeout(settleMs);
}

// What one cell shows now.
function describeCell(cell) {
  return cell.evaluate((el) => {
    const outputs = [...el.querySelectorAll('.jp-OutputArea-output')];
    const prompt = el.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '';
    const errors = outputs
      .filter((o) => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
      .map((o) => o.textContent.slice(0, 2000));
    const images = [...el.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedImage img')];
    const inlineSvgs = [...el.querySelectorAll('.jp-OutputArea-output svg')].filter((s) => !s.closest('.eddy-stream'));
    const live = el.querySelector('.eddy-stream');
    return {
      prompt,
      counters: live ? [...live.querySelectorAll('table tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()).join(' ')).join('; ') : null,
      source: [...el.querySelectorAll('.jp-InputArea .cm-line')].map((l) => l.textContent).join('\n').slice(0, 500),
      outputs: outputs.length,
      mime_types: outputs.map((o) => o.getAttribute('data-mime-type')),
      errors,
      tables: el.querySelectorAll('.jp-OutputArea-output table.dataframe').length,
      charts: images.filter((i) => i.complete && i.naturalWidth > 0).length + inlineSvgs.length,
      live_state: live ? live.firstElementChild?.textContent.trim() : null,
    };
  });
}

// The live view now: its chart's SVG as text, its counters and state line, and a PNG of it.
// Each update replaces the output's DOM nodes, so the PNG is a clip of the page at the
// rectangle the view had when its SVG was read, not a screenshot of a node that may be gone.
async function sampleLive(cell, name) {
  const now = await cell.evaluate((el) => {
    const live = el.querySelector('.eddy-stream');
    const r = live.getBoundingClientRect();
    return {
      svg: live.querySelector('svg')?.outerHTML ?? '',
      state: live.firstElementChild?.textContent.trim() ?? '',
      // textContent: innerText is empty for what content-visibility skips (off screen)
      counters: [...live.querySelectorAll('table tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()).join(' ')).join('; '),
      outputs_in_cell: el.querySelectorAll('.jp-OutputArea-output').length,
      cell_prompt: el.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '',
      clip: { x: r.x, y: Math.max(0, r.y), width: r.width, height: Math.min(r.bottom, window.innerHeight) - Math.max(0, r.y) },
    };
  });
  const { clip, ...rest } = now;
  const png = await shot(name, page, { clip });
  return { ...rest, png, t: since() };
}

try {
  log(`opening ${url.replace(/token=[^&]+/, 'token=…')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await cells.first().waitFor();
  await panel.locator('.jp-Toolbar-kernelName', { hasText: 'Rust (eddy)' }).waitFor();
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor();
  result.timings.kernel_idle_s = since();
  log('kernel Rust (eddy) is idle');

  // Room for the notebook: collapse the left sidebar (click its current tab).
  const leftTab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current');
  if (await leftTab.count()) await leftTab.first().click();
  await page.locator('#jp-left-stack').waitFor({ state: 'hidden' }).catch(() => {});

  // The notebook attaches its cells as it renders them: wait for all of them (--cells, from
  // the .ipynb), else for a count that holds still for a second.
  let n = await cells.count();
  if (opt.cells) {
    await page.waitForFunction((want) => document.querySelectorAll(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').length === want, Number(opt.cells));
    n = Number(opt.cells);
  } else {
    for (let stable = 0; stable < 4; ) {
      await page.waitForTimeout(250);
      const now = await cells.count();
      stable = now === n ? stable + 1 : 0;
      n = now;
    }
  }
  log(`${n} cells`);
  let run = 0;
  let liveSeenRunning = null; // a cell whose live view ran while the cell did
  for (let i = 0; i < n; i++) {
    const cell = cells.nth(i);
    if (!(await cell.evaluate((el) => el.classList.contains('jp-CodeCell')))) continue;
    run += 1;
    const started = Date.now();
    // Select the cell by its prompt (not its left edge: that is the collapser, which folds
    // the cell) and run it without advancing (Shift+Enter would add a cell after the last).
    await cell.locator('.jp-InputPrompt').first().click();
    await page.keyboard.press('Control+Enter');
    // Wait for its prompt [run]:. Meanwhile, if it shows a live view, scroll that into view,
    // so that it can be sampled the moment the cell has finished.
    let liveScrolled = false;
    for (;;) {
      const now = await cell.evaluate((el, want) => {
        const live = el.querySelector('.eddy-stream');
        return {
          done: el.querySelector('.jp-InputPrompt')?.textContent.trim() === want,
          live: live ? live.firstElementChild?.textContent.trim() : null,
          liveChart: !!live?.querySelector('svg'),
        };
      }, `[${run}]:`);
      if (now.done) break;
      if (now.liveChart && !liveScrolled && result.live === null) {
        await scrollToBottomOf(cell, 0);
        liveScrolled = true;
        if (liveSeenRunning === null && now.live?.includes('running')) liveSeenRunning = i;
      }
      if (Date.now() - started > cellTimeout) {
        throw new Error(`cell ${i} did not finish within ${cellTimeout / 1000} s (prompt [${run}]: never showed)`);
      }
      await page.waitForTimeout(100);
    }
    const finished = Date.now();
    const info = { index: i, run, seconds: (finished - started) / 1000, ...(await describeCell(cell)) };

    if (result.live === null && info.live_state?.includes('running')) {
      // The running stream's live view, right after its cell finished and before the next
      // cell starts: nothing but the stream's thread can change it now. Sample it at once,
      // then from `gap` on every 250 ms until the chart's SVG and the element's pixels both
      // differ, the stream ends, or `change-within` passes.
      log(`cell ${i} finished showing a running stream: sampling its live view`);
      await cell.locator('.eddy-stream svg').first().waitFor({ timeout: 30_000 });
      if (!liveScrolled) await scrollToBottomOf(cell, 0);
      const first = await sampleLive(cell, 'live-1');
      await page.waitForTimeout(gapMs);
      let second = await sampleLive(cell, 'live-2');
      while (
        !(second.svg !== first.svg && !second.png.equals(first.png)) &&
        second.state.includes('running') &&
        (second.t - first.t) * 1000 < changeWithinMs
      ) {
        await page.waitForTimeout(250);
        second = await sampleLive(cell, 'live-2');
      }
      await shot('live-stream'); // the page with the stream running: the README candidate
      const strip = ({ png, svg, ...rest }) => ({ ...rest, svg_chars: svg.length, png_bytes: png.length });
      result.live = {
        cell: i,
        first: strip(first),
        second: strip(second),
        svg_changed: second.svg !== first.svg,
        png_changed: !second.png.equals(first.png),
        seconds_apart: Number((second.t - first.t).toFixed(1)),
        first_after_cell_s: Number(((t0 + first.t * 1000 - finished) / 1000).toFixed(2)),
      };
      log(
        `live view ${result.live.svg_changed ? 'changed' : 'did NOT change'} in ` +
          `${result.live.seconds_apart} s (svg ${result.live.svg_changed}, png ${result.live.png_changed}), ` +
          `state then: ${second.state}`,
      );
      if (opt['readme-shot']) {
        copyFileSync(result.shots['live-stream'], opt['readme-shot']);
        result.shots.readme = opt['readme-shot'];
      }
    }

    await page.waitForFunction(
      (el) => [...el.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedImage img')].every((img) => img.complete),
      await cell.elementHandle(),
    );
    if (!info.charts) info.charts = (await describeCell(cell)).charts;
    result.cells.push(info);
    log(`cell ${i} ${info.prompt} ${info.seconds.toFixed(1)} s: ${info.mime_types.join(', ') || 'no output'}`);
    if (info.errors.length) {
      await scrollToBottomOf(cell);
      await shot('failure');
      throw new Error(`cell ${i} (${info.prompt}) shows an error: ${info.errors[0].slice(0, 500)}`);
    }
  }
  if (result.live === null && liveSeenRunning !== null) {
    result.live_note = `cell ${liveSeenRunning} showed a running stream while it ran, but the stream had ended when the cell finished`;
  }
  result.timings.cells_s = since();

  // The live view's last word (a stopped stream refreshes it one last time).
  if (result.live) {
    const liveCell = cells.nth(result.live.cell);
    await page.waitForTimeout(1000);
    const last = await describeCell(liveCell);
    result.final_state = last.live_state;
    result.live.final_counters = last.counters;
  }

  // Save, so that the test can read the outputs as Jupyter stored them.
  await cells.last().locator('.jp-InputPrompt').first().click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(
    () => !document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty'),
    null,
    { timeout: 30_000 },
  );
  result.saved = true;
  log('saved');

  await scrollToBottomOf(cells.last());
  await shot('final');

  // Kernel → Shut Down Kernel: ends a stream the notebook did not stop, and the kernel.
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Kernel$/ }).click();
  await page.locator('.lm-Menu-item:visible', { hasText: /^Shut Down Kernel/ }).first().click();
  await page.locator('.jp-Dialog button.jp-mod-accept').click({ timeout: 5_000 }).catch(() => {});
  await panel.locator('.jp-Toolbar-kernelStatus, .jp-Notebook-ExecutionIndicator').first().waitFor();
  result.ok = true;
} catch (err) {
  result.error = String(err?.stack ?? err).slice(0, 3000);
  log(`failed: ${result.error}`);
  await shot('failure').catch(() => {});
} finally {
  result.browser_errors = browserErrors;
  result.timings.total_s = since();
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
writeFileSync(path.join(opt.shots, 'result.json'), JSON.stringify(result, null, 2));
process.stdout.write(JSON.stringify(result) + '\n');
