package hyenac.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of generation, shared by {@code hyenac run} and the jars {@code hyenac build} writes; where weights come from
 * and the target are {@link ModelOptions}.
 */
final class GenerateOptions extends ModelOptions {
    @Option(names = "--prompt", paramLabel = "TEXT", description = "the text to continue (or --prompts)") String prompt;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "a file of prompts, one a line, decoded --batch at a time; each sequence is printed on one line, in the file's order")
    Path promptsFile;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "sequences decoded together with --prompts (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--json", description = "one JSON object a sequence on stdout (sequence, prompt, text, tokens, end) instead of text")
    boolean json;

    @Option(names = "--generate", defaultValue = "64", paramLabel = "N", description = "tokens to generate (default ${DEFAULT-VALUE})") int generate;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default)") double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens (0: all)") int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "keep the most likely tokens holding this much probability") double topP;

    @Option(names = "--seed", defaultValue = "0", description = "for sampling (the i-th of --prompts, from 0: seed + i) and for random weights") long seed;

    @Option(names = "--ignore-eos", description = "keep generating after the end-of-sequence token") boolean ignoreEos;

    @Option(names = "--print-tokens", description = "also print the generated token ids") boolean printTokens;

    @Option(names = "--raw", description = "print control bytes as they are (default: as \\xNN, like bytes that are not UTF-8)") boolean raw;

    /** Null when the options make sense, else the exit code after saying why on {@code err}. */
    Integer invalid(String command, PrintWriter err) {
        if ((prompt == null) == (promptsFile == null)) {
            err.println(command + ": " + (prompt == null ? "give --prompt TEXT, or --prompts FILE with one prompt a line" : "give --prompt or --prompts, not both"));
            return Main.INTERNAL_ERROR;
        }
        Integer cp = invalidContextParallel(command, err);
        if (cp != null) return cp;
        if (batch < 1) {
            err.println(command + ": --batch must be at least 1 (the sequences decoded together), not " + batch);
            return Main.INTERNAL_ERROR;
        }
        // Written so that NaN fails every test.
        if (generate < 0 || topK < 0 || !(topP > 0 && topP <= 1) || !(temperature >= 0 && temperature < Double.POSITIVE_INFINITY)) {
            err.println(command + ": --generate and --top-k must be ≥ 0, --top-p in (0, 1], --temperature a finite number ≥ 0");
            return Main.INTERNAL_ERROR;
        }
        return null;
    }
}
