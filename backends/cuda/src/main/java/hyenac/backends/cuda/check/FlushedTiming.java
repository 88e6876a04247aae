package hyenac.backends.cuda.check;

import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Stream;
import java.util.Arrays;

/**
 * How the device checks time a kernel: {@link #WARMUP} untimed runs, then {@link #REPS} each between two events after a
 * write of {@link #FLUSH_BYTES} (more than any L2), as the peer script and {@code hyenac bench} do.
 */
final class FlushedTiming {
    static final int WARMUP = 5, REPS = 50;
    static final long FLUSH_BYTES = 256L << 20;

    private FlushedTiming() {}

    /** The milliseconds of each timed run of {@code work}, sorted; {@code flush} holds {@link #FLUSH_BYTES}. */
    static float[] sorted(Driver d, long flush, Runnable work) {
        Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
        try {
            for (int i = 0; i < WARMUP; i++) work.run();
            float[] ms = new float[REPS];
            for (int i = 0; i < REPS; i++) {
                d.memsetD8Async(flush, (byte) i, FLUSH_BYTES, Stream.DEFAULT, "the L2 flush");
                d.eventRecord(start, Stream.DEFAULT);
                work.run();
                d.eventRecord(end, Stream.DEFAULT);
                d.eventSynchronize(end);
                ms[i] = d.eventElapsedTime(start, end);
            }
            Arrays.sort(ms);
            return ms;
        } finally {
            d.eventDestroy(start);
            d.eventDestroy(end);
        }
    }
}
