package hyenac.train;

import java.util.List;

/** Where a run's batches come from: a built-in task or a corpus file. Batches are a function of the step alone. */
public interface TrainingData {
    /** The training batch of step s (1-based). */
    Batch train(long step, int batch, int seqLen);

    /** The fixed evaluation batches: a task's fresh test set, a corpus's held-out split. */
    List<Batch> evaluation(int batch, int seqLen);

    /** True: evaluation reports next-token accuracy on the scored positions; false: the held-out loss. */
    boolean reportsAccuracy();

    /** What the data is, for logs and for refusing to resume on other data. */
    String describe();
}
