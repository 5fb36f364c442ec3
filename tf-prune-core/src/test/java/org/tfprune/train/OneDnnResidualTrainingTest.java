package org.tfprune.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tfprune.testing.Mnist;
import org.tfprune.testing.TinyResNet;

/**
 * A residual network with a strided 1x1 projection shortcut trains with TensorFlow's oneDNN
 * kernels switched on, as a library user's JVM runs it by default. oneDNN's strided 1x1
 * backward-weights kernel corrupts the heap on AVX-512 CPUs; the training graph keeps the filter
 * gradient off it. The test suite itself runs with oneDNN off, so this runs in a child JVM with
 * {@code TF_ENABLE_ONEDNN_OPTS=1}. On a CPU where oneDNN never picks that kernel the test passes
 * either way; on one where it does (an AVX-512 AMD EPYC), it fails if the workaround is removed.
 */
class OneDnnResidualTrainingTest {
  private static final long TIMEOUT_MINUTES = 10;

  @Test
  void aResidualNetWithAStridedProjectionTrainsWithOneDnnOn(@TempDir Path dir)
      throws IOException, InterruptedException {
    Path log = dir.resolve("child.log");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", System.getProperty("java.class.path"), Child.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("TF_ENABLE_ONEDNN_OPTS", "1");
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    boolean finished = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as("child JVM finished within %d minutes; output:%n%s",
        TIMEOUT_MINUTES, out).isTrue();
    assertThat(p.exitValue()).as("child JVM exit code; output:%n%s", out).isZero();
    assertThat(out).contains("trained: finite loss");
  }

  /** Trains the tiny residual network (projection shortcut: 1x1 conv, stride 2) for one epoch. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) {
      TrainerConfig cfg = TrainerConfig.builder().epochs(1).finetuneEpochs(0).batchSize(50)
          .seed(5).evalBatchSize(100).build();
      TrainingResult r = new PruningTrainer(cfg, null).train(TinyResNet.coupled(),
          Mnist.train(300), Mnist.test(100));
      double loss = r.history().get(r.history().size() - 1).dataLoss();
      if (!Double.isFinite(loss)) {
        System.out.println("trained: loss " + loss);
        System.exit(1);
      }
      System.out.println("trained: finite loss " + loss);
    }
  }
}
