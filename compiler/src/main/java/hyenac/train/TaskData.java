package hyenac.train;

import java.util.ArrayList;
import java.util.List;

/** A task's training stream (stream 0) and its test set (stream 1, never trained on) from one seed. */
public record TaskData(Task task, long seed, int evalSamples) implements TrainingData {
    @Override public Batch train(long step, int batch, int seqLen) { return task.batch(seed, 0, step - 1, batch, seqLen); }

    @Override public List<Batch> evaluation(int batch, int seqLen) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i * batch < evalSamples; i++) out.add(task.batch(seed, 1, i, batch, seqLen));
        return out;
    }

    @Override public boolean reportsAccuracy() { return true; }

    @Override public String describe() {
        return "task " + task.name() + " (" + task.describe() + ")";
    }
}
