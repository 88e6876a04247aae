package hyenac.bench;

import java.util.Arrays;

/** Timed repetitions in milliseconds; percentiles interpolate linearly between ranks (numpy's default, as the peer script reports them). */
record Samples(double[] ms) {
    Samples {
        if (ms.length == 0) throw new IllegalArgumentException("no timed repetitions");
        ms = ms.clone();
    }

    double median() { return percentile(50); }

    double min() { return Arrays.stream(ms).min().orElseThrow(); }

    double mean() { return Arrays.stream(ms).average().orElseThrow(); }

    int count() { return ms.length; }

    double percentile(double p) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double rank = p / 100 * (s.length - 1);
        int lo = (int) Math.floor(rank), hi = (int) Math.ceil(rank);
        return s[lo] + (s[hi] - s[lo]) * (rank - lo);
    }
}
