// A JVM workload for the sandbox suite: many threads doing file-system calls (served by the
// sentry) and computing, then the JVM's own view of the machine. Launched as a single-file
// program (`java ManyThreads.java THREADS DIR`). Prints one "key=value" line per figure.
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

public class ManyThreads {
  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    Path dir = Paths.get(args[1]);
    AtomicLong wrong = new AtomicLong();
    AtomicLong done = new AtomicLong();
    List<Thread> all = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int i = 0; i < threads; i++) {
      final int id = i;
      Thread t = new Thread(() -> {
        try {
          start.await();
          for (int j = 0; j < 20; j++) {
            Path p = dir.resolve("t" + id + "-" + j);
            Files.writeString(p, "thread " + id);
            if (!Files.readString(p).equals("thread " + id)) wrong.incrementAndGet();
            if (!Files.exists(p) || Files.exists(dir.resolve("missing-" + id))) wrong.incrementAndGet();
            Files.delete(p);
            long h = 0;
            for (int k = 0; k < 10000; k++) h = h * 31 + k;
            if (h == 42) wrong.incrementAndGet();
            done.incrementAndGet();
          }
        } catch (Exception e) {
          wrong.incrementAndGet();
        }
      });
      all.add(t);
      t.start();
    }
    start.countDown();
    for (Thread t : all) t.join();
    ExecutorService pool = ForkJoinPool.commonPool();
    System.out.println("threads=" + threads);
    System.out.println("rounds=" + done.get());
    System.out.println("wrong=" + wrong.get());
    System.out.println("availableProcessors=" + Runtime.getRuntime().availableProcessors());
    System.out.println("maxMemoryMiB=" + Runtime.getRuntime().maxMemory() / (1024 * 1024));
    System.out.println("commonPoolParallelism=" + ForkJoinPool.commonPool().getParallelism());
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    System.out.println("totalMemoryMiB=" + os.getTotalMemorySize() / (1024 * 1024));
  }
}
