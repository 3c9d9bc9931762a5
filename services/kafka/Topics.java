// Topic administration for services/kafka.sh, through Kafka's own AdminClient (the broker
// jars ship no kafka-topics tool). kafka.sh compiles it once into its state dir.
//
//   java -cp <classes>:<lib>/* Topics BOOTSTRAP create NAME PARTITIONS
//   java -cp <classes>:<lib>/* Topics BOOTSTRAP list
//
// `create` is idempotent: an existing topic with the same partition count is fine; with
// another count it fails (exit 2) and says so.
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

public class Topics {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            usage();
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(props)) {
            switch (args[1]) {
                case "create" -> {
                    if (args.length != 4) {
                        usage();
                    }
                    create(admin, args[2], Integer.parseInt(args[3]));
                }
                case "list" -> {
                    for (String name : new TreeSet<>(admin.listTopics().names().get(30, TimeUnit.SECONDS))) {
                        System.out.println(name);
                    }
                }
                default -> usage();
            }
        }
    }

    static void create(Admin admin, String name, int partitions) throws Exception {
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            System.out.println("created topic " + name + " with " + partitions + " partitions");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                System.err.println("cannot create topic " + name + ": " + e.getCause());
                System.exit(1);
            }
            TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
            int have = d.partitions().size();
            if (have != partitions) {
                System.err.println("topic " + name + " exists with " + have + " partitions, not " + partitions
                        + ": delete it or wipe Kafka (services/kafka.sh wipe)");
                System.exit(2);
            }
            System.out.println("topic " + name + " exists with " + partitions + " partitions");
        }
    }

    static void usage() {
        System.err.println("usage: Topics BOOTSTRAP create NAME PARTITIONS | Topics BOOTSTRAP list");
        System.exit(64);
    }
}
