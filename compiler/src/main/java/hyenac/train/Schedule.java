package hyenac.train;

/**
 * The learning rate of step s (1-based) of {@code steps}: linear warm-up from lr/warmup to lr over {@code warmup} steps,
 * then a cosine from lr down to lr·minRatio at the last step.
 */
public record Schedule(double lr, long warmup, long steps, double minRatio) {
    public Schedule {
        if (!(lr > 0) || warmup < 0 || steps < 1 || minRatio < 0 || minRatio > 1) throw new IllegalArgumentException("bad schedule");
    }

    public double at(long step) {
        if (step <= warmup) return lr * step / warmup;
        if (steps <= warmup) return lr;
        double progress = Math.min(1, (double) (step - warmup) / (steps - warmup));
        double min = lr * minRatio;
        return min + (lr - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
