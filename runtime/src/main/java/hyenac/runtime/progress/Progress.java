package hyenac.runtime.progress;

/**
 * Where long work (drawing or loading a large model's weights, compiling kernels) says how far it got. The
 * command line draws a bar from it on a terminal; everything else passes {@link #NONE}.
 */
public interface Progress {
    /** Starts a task described by {@code what} (e.g. "loading weights") of {@code total} units named by {@code unit}. */
    Task start(String what, long total, String unit);

    /** One running task. {@link #advance} may be called from several threads at once. */
    interface Task extends AutoCloseable {
        void advance(long units);

        /** The task is over (finished or abandoned). */
        @Override void close();
    }

    /** Reports nothing. */
    Progress NONE = (what, total, unit) -> new Task() {
        @Override public void advance(long units) {}
        @Override public void close() {}
    };
}
