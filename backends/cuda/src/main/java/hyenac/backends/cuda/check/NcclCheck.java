package hyenac.backends.cuda.check;

import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Nccl;
import hyenac.backends.cuda.comm.NcclGroup;
import hyenac.runtime.comm.Communicator;
import hyenac.runtime.comm.Communicator.Transfer;
import hyenac.runtime.comm.CommunicatorException;
import hyenac.runtime.comm.InProcessGroup;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The NCCL bindings and {@link NcclGroup} on a GPU machine, one line per check (PASS, FAIL or INFO): NCCL's version
 * and the GPU count; then for N = 1 and every N up to the GPUs (at most 4) an all-to-all, an all-gather and an
 * exchange around the ring (both neighbours, so at N = 2 two messages each way test their order) on random data,
 * through NCCL and through {@link InProcessGroup}, each rank's results equal bit for bit (fp32 copies) and
 * {@code sent()} equal; with ncclAlltoAll (NCCL 2.28.3+) the all-to-all is checked both ways. With two GPUs or more,
 * a failing rank and a rank that never joins must end the group with a {@link CommunicatorException}, not a hang.
 * From the repository root after scripts/gpu-pack.sh:
 * {@code source scripts/device-jre.sh && "$jre/jre/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" hyenac.backends.cuda.check.NcclCheck}.
 * Exits 0 when every check passed, 1 when one failed, 2 without a GPU or NCCL.
 */
public final class NcclCheck {
    static final int MAX_RANKS = 4;
    static final int[] COUNTS = {1, 65537};
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PrintStream out;
    private int failures;

    private NcclCheck(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        int failures;
        try {
            failures = new NcclCheck(out).run();
        } catch (CudaUnavailableException e) {
            out.println("FAIL " + e.getMessage());
            System.exit(2);
            return;
        }
        out.println(failures == 0 ? "all NCCL checks passed" : failures + " NCCL check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private void pass(String name, String text) {
        out.println("PASS " + name + ": " + text);
    }

    private void fail(String name, String text) {
        failures++;
        out.println("FAIL " + name + ": " + text);
    }

    int run() {
        Driver driver = Driver.load();
        driver.init();
        int gpus = driver.deviceGetCount();
        Nccl nccl = Nccl.load();
        out.println("INFO nccl: NCCL " + Nccl.versionString(nccl.version()) + " (code " + nccl.version() + ", loaded as "
                + nccl.loadedAs() + "); ncclAlltoAll: " + (nccl.hasAllToAll() ? "yes" : "no, all-to-all by grouped send/recv"));
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < gpus; i++) names.append(i == 0 ? " (" : ", ").append(driver.deviceGetName(driver.deviceGet(i)));
        out.println("INFO gpus: " + gpus + names + (gpus > 0 ? ")" : ""));
        out.println("INFO NCCL_NVLS_ENABLE=" + System.getenv("NCCL_NVLS_ENABLE") + ", NCCL_DEBUG=" + System.getenv("NCCL_DEBUG"));
        if (gpus < 1) {
            fail("gpus", "the driver reports no GPU");
            return failures;
        }
        int max = Math.min(gpus, MAX_RANKS);
        for (int n = 1; n <= max; n++) {
            compare(n, NcclGroup.AllToAll.AUTO, nccl.hasAllToAll() ? "ncclAlltoAll" : "grouped send/recv");
            if (nccl.hasAllToAll()) compare(n, NcclGroup.AllToAll.GROUPED, "grouped send/recv");
        }
        if (max >= 2) {
            failingRank(max);
            missingRank(max);
        } else {
            out.println("INFO failure and timeout checks need two GPUs; skipped");
        }
        return failures;
    }

    /** What one rank saw: each collective's output and the elements sent() grew by, in the order run. */
    static final class Outcome {
        final Map<String, float[]> outputs = new LinkedHashMap<>();
        final Map<String, Long> sent = new LinkedHashMap<>();
    }

    static float[] random(long seed, int n) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    /** The same collectives on every rank, on data that depends on the rank. */
    static Outcome collectives(Communicator comm) {
        int n = comm.size(), r = comm.rank();
        Outcome o = new Outcome();
        for (int count : COUNTS) {
            long seed = 1_000_003L * n + 7919L * r + count;
            float[] send = random(seed, n * count), recv = new float[n * count];
            long before = comm.sent();
            comm.allToAll(send, recv, count);
            o.outputs.put("all-to-all of " + count, recv);
            o.sent.put("all-to-all of " + count, comm.sent() - before);

            float[] mine = random(seed + 1, count), all = new float[n * count];
            before = comm.sent();
            comm.allGather(mine, all, count);
            o.outputs.put("all-gather of " + count, all);
            o.sent.put("all-gather of " + count, comm.sent() - before);

            if (n >= 2) {
                // [0, c) to the next rank, [c, 2c) to the previous; from the previous into [2c, 3c), from the next into [3c, 4c)
                float[] ring = new float[4 * count];
                System.arraycopy(random(seed + 2, 2 * count), 0, ring, 0, 2 * count);
                int next = (r + 1) % n, prev = (r + n - 1) % n;
                before = comm.sent();
                comm.exchange(List.of(Transfer.send(next, ring, 0, count), Transfer.send(prev, ring, count, count),
                        Transfer.recv(prev, ring, 2 * count, count), Transfer.recv(next, ring, 3 * count, count)));
                o.outputs.put("ring exchange of " + count, ring);
                o.sent.put("ring exchange of " + count, comm.sent() - before);
            }
        }
        return o;
    }

    private void compare(int n, NcclGroup.AllToAll mode, String how) {
        String name = "N=" + n + " " + how;
        List<Outcome> gpu, cpu;
        long t0 = System.nanoTime();
        try {
            gpu = NcclGroup.run(n, TIMEOUT, mode, NcclCheck::collectives);
        } catch (RuntimeException e) {
            fail(name, e.getClass().getSimpleName() + ": " + e.getMessage());
            return;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        cpu = InProcessGroup.run(n, TIMEOUT, NcclCheck::collectives);
        for (String key : cpu.get(0).outputs.keySet()) {
            String line = name + " " + key;
            List<String> wrong = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                float[] g = gpu.get(r).outputs.get(key), c = cpu.get(r).outputs.get(key);
                if (g == null) {
                    wrong.add("rank " + r + " has no result");
                } else if (!Arrays.equals(g, c)) {
                    int i = Arrays.mismatch(g, c);
                    wrong.add(f("rank %d differs first at element %d (%s, in process %s)", r, i, g[i], c[i]));
                }
                Long gs = gpu.get(r).sent.get(key), cs = cpu.get(r).sent.get(key);
                if (!cs.equals(gs)) wrong.add("rank " + r + " sent() grew by " + gs + " through NCCL, " + cs + " in process");
            }
            if (wrong.isEmpty()) {
                pass(line, f("every rank's output equal bit for bit to InProcessGroup's; sent() grew by %d per rank on both",
                        cpu.get(0).sent.get(key)));
            } else {
                fail(line, String.join("; ", wrong));
            }
        }
        out.println(f("INFO %s: the whole NCCL run (communicators made, %d collectives, destroyed) took %.1f ms", name,
                cpu.get(0).outputs.size(), ms));
    }

    /** A rank that throws ends the others with a CommunicatorException, and run throws its error. */
    private void failingRank(int n) {
        String name = "N=" + n + " a failing rank";
        List<Throwable> others = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try {
            NcclGroup.run(n, Duration.ofSeconds(30), rankTask(n, others, true));
            fail(name, "the group finished although rank " + (n - 1) + " threw");
        } catch (IllegalStateException e) {
            double s = (System.nanoTime() - t0) / 1e9;
            if (others.size() == n - 1 && others.stream().allMatch(t -> t instanceof CommunicatorException)) {
                pass(name, f("its error came back after %.1f s and the other %d rank(s) stopped with CommunicatorException: %s",
                        s, n - 1, others.getFirst().getMessage()));
            } else {
                fail(name, "the other ranks ended with " + others);
            }
        } catch (RuntimeException e) {
            fail(name, "expected the failing rank's IllegalStateException, got " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** A rank that never joins a collective: the others time out, abort, and name the rank and the collective. */
    private void missingRank(int n) {
        String name = "N=" + n + " a rank that never joins";
        List<Throwable> others = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try {
            NcclGroup.run(n, Duration.ofSeconds(5), rankTask(n, others, false));
            fail(name, "the group finished although rank " + (n - 1) + " never joined the all-gather");
        } catch (CommunicatorException e) {
            double s = (System.nanoTime() - t0) / 1e9;
            if (e.getMessage().contains("all-gather") && e.getMessage().matches("rank \\d+ waited .*")) {
                pass(name, f("ended after %.1f s (timeout 5 s): %s", s, e.getMessage()));
            } else {
                fail(name, "the timeout does not name the rank and the collective: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            fail(name, "expected a CommunicatorException, got " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Every rank but the last all-gathers; the last throws ({@code throwing}) or returns without joining. */
    private static InProcessGroup.RankTask<Void> rankTask(int n, List<Throwable> others, boolean throwing) {
        return comm -> {
            if (comm.rank() == n - 1) {
                if (throwing) throw new IllegalStateException("rank " + comm.rank() + " fails on purpose");
                return null;
            }
            try {
                comm.allGather(new float[1024], new float[n * 1024], 1024);
            } catch (RuntimeException e) {
                others.add(e);
                throw e;
            }
            return null;
        };
    }
}
