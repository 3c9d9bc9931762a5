// Takes the README screenshot (docs/img/jupyterlab.png): opens a notebook in a running
// JupyterLab with the system Chromium, restarts the kernel and runs all cells on `eddy`,
// waits for the HTML table and the SVG chart, hides the left sidebar and saves a 1400×900 PNG
// (about 110 kB for notebooks/00-tour.ipynb; `pngquant` can shrink it if ever needed).
//
// It never downloads a browser: it drives /usr/bin/chromium (Debian's `chromium` package)
// through `playwright-core`, which `./install.sh --test` installs (with chromium) into
// $EDDY_HOME/browser, pinned by tests/browser/package-lock.json, as the browser test uses them:
//
//   ./install.sh --test        # or: apt-get install -y chromium, and npm ci (see install.sh)
//   mkdir -p /tmp/lab-nb && cp notebooks/00-tour.ipynb /tmp/lab-nb/
//   $EDDY_HOME/venv/bin/jupyter lab --no-browser --ip 127.0.0.1 --port 8899 \
//     --IdentityProvider.token=TOKEN --ServerApp.root_dir=/tmp/lab-nb &   # + --allow-root as root
//   node scripts/screenshot.mjs --port 8899 --token TOKEN --notebook 00-tour.ipynb \
//     --out docs/img/jupyterlab.png
//   kill %1                                                   # stop JupyterLab
//
// Options (or environment): --port (PORT, 8899), --token (TOKEN, required), --notebook
// (NOTEBOOK, 00-tour.ipynb, relative to the server's root dir), --out (OUT,
// docs/img/jupyterlab.png), --width/--height (1400×900 PNG pixels), --scale (SCALE, 0.8:
// PNG pixels per CSS pixel, so the page is laid out at 1750×1125 and the whole tour fits),
// --chromium (CHROMIUM, /usr/bin/chromium), --pw-dir (PW_DIR, $EDDY_HOME/browser: where
// playwright-core is installed), --timeout seconds (TIMEOUT, 300: kernel start plus all
// cells). The network may be closed: the Chromium flags below keep it from calling home.

import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const eddyHome =
  process.env.EDDY_HOME ?? path.join(process.env.XDG_DATA_HOME ?? path.join(homedir(), '.local/share'), 'eddy');

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8899' },
    token: { type: 'string', default: process.env.TOKEN ?? '' },
    notebook: { type: 'string', default: process.env.NOTEBOOK ?? '00-tour.ipynb' },
    out: { type: 'string', default: process.env.OUT ?? 'docs/img/jupyterlab.png' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    'pw-dir': { type: 'string', default: process.env.PW_DIR ?? path.join(eddyHome, 'browser') },
    width: { type: 'string', default: '1400' },
    height: { type: 'string', default: '900' },
    scale: { type: 'string', default: process.env.SCALE ?? '0.8' },
    timeout: { type: 'string', default: process.env.TIMEOUT ?? '300' },
  },
});
if (!opt.token) {
  console.error('screenshot.mjs: --token (or TOKEN) is required');
  process.exit(2);
}

// playwright-core lives outside the repo ($EDDY_HOME/browser); else from the usual places.
let playwright;
try {
  playwright = createRequire(path.join(path.resolve(opt['pw-dir']), 'package.json'))('playwright-core');
} catch {
  playwright = await import('playwright-core');
}
const { chromium } = playwright;

const timeout = Number(opt.timeout) * 1000;
const url = `http://127.0.0.1:${opt.port}/lab/tree/${encodeURI(opt.notebook)}?token=${encodeURIComponent(opt.token)}`;
const log = (msg) => console.log(`[screenshot] ${msg}`);

const userDataDir = mkdtempSync(path.join(tmpdir(), 'eddy-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
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
  ],
  // The PNG is width × height pixels; the page is laid out `scale` times smaller in CSS
  // pixels, so the table does not wrap and the chart fits under it.
  viewport: {
    width: Math.round(Number(opt.width) / Number(opt.scale)),
    height: Math.round(Number(opt.height) / Number(opt.scale)),
  },
  deviceScaleFactor: Number(opt.scale),
});

try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  log(`opening ${url.replace(/token=[^&]+/, 'token=…')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });

  // The notebook panel, its kernel ("Rust (eddy)" in the toolbar) and an idle status.
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)').first();
  await panel.locator('.jp-Notebook .jp-Cell').first().waitFor();
  await panel.locator('.jp-Toolbar-kernelName', { hasText: 'Rust (eddy)' }).waitFor();
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor();
  log('kernel Rust (eddy) is idle');

  // Dismiss the "official Jupyter news?" toast if it shows: it would cover the output.
  const newsNo = page.locator('.jp-Notification-Toast-Close, .jp-toast-button:has-text("No")');
  if (await newsNo.count()) await newsNo.first().click().catch(() => {});

  // Kernel → Restart Kernel and Run All Cells…, then Restart in the dialog: a server that
  // already ran the notebook keeps its kernel, and the prompts should read [1], [2], …
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Kernel$/ }).click();
  await page.locator('.lm-Menu-item:visible', { hasText: 'Restart Kernel and Run All Cells' }).first().click();
  await page.locator('.jp-Dialog button.jp-mod-accept').click();
  log('Restart Kernel and Run All Cells');

  // Every code cell executed, in order, by the new kernel, and the rich outputs on the page.
  const cells = panel.locator('.jp-CodeCell');
  const n = await cells.count();
  await page.waitForFunction(
    (count) => {
      const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
      return prompts.length === count && prompts.every((p, i) => p.textContent.trim() === `[${i + 1}]:`);
    },
    n,
    { timeout },
  );
  const errors = await panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count();
  if (errors) throw new Error(`${errors} cell(s) wrote errors; see the page`);
  const table = panel.locator('.jp-OutputArea-output table.dataframe').first();
  await table.waitFor();
  // JupyterLab shows image/svg+xml as an <img> with a data: URL; accept an inline <svg> too.
  const chart = panel.locator('.jp-OutputArea-output svg, .jp-RenderedSVG img').first();
  await chart.waitFor();
  await page.waitForFunction(
    () => [...document.querySelectorAll('.jp-RenderedSVG img')].every((i) => i.complete && i.naturalWidth > 0),
  );
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor();
  log(`${n} code cells ran; table and chart rendered`);

  // Room: collapse the left sidebar (click its current tab), leave command mode on no cell.
  const leftTab = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current');
  if (await leftTab.count()) await leftTab.first().click();
  await page.locator('#jp-left-stack').waitFor({ state: 'hidden' }).catch(() => {});
  // Make the last cell the active one, in command mode (its output is text). Never click a
  // cell's left edge: that is the collapser, which folds the cell.
  await panel.locator('.jp-Cell').last().locator('.jp-OutputArea-output').first().click();
  await page.keyboard.press('Escape');
  // Scroll the notebook from the top just enough to show the end of the last cell (at
  // the default size only the title cell's top margin goes out of view).
  const scrolled = await panel.locator('.jp-WindowedPanel-outer').evaluate((outer) => {
    outer.scrollTo(0, 0);
    const cells = outer.querySelectorAll('.jp-Cell');
    const last = cells[cells.length - 1].getBoundingClientRect();
    const by = Math.max(0, Math.ceil(last.bottom - outer.getBoundingClientRect().bottom + 4));
    outer.scrollTo(0, by);
    return by;
  });
  log(`scrolled by ${scrolled} CSS px`);
  await page.mouse.move(0, Number(opt.height) - 1);
  await page.waitForTimeout(500);

  await page.screenshot({ path: opt.out });
  log(`saved ${opt.out}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
