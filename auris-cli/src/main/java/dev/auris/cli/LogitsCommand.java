package dev.auris.cli;

import dev.auris.core.Torch;
import dev.auris.io.Npy;
import dev.auris.llm.Llm;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;

/** {@code auris logits --model DIR --ids 1,2,3 --out logits.npy}: float32 logits [T, V] for every position. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the float32 logits [T, V] of every position of a token sequence (one forward pass) as .npy.")
final class LogitsCommand implements Runnable {
    @Option(names = "--model", required = true, description = "LLM directory.")
    Path model;
    @Option(names = "--ids", required = true, description = "Comma-separated token ids.")
    String ids;
    @Option(names = "--out", required = true, description = "Output .npy.")
    Path out;
    @Mixin
    Options options;

    @Override
    public void run() {
        var precision = options.precision().exactUnlessAsked();
        int[] tokens;
        try {
            tokens = Arrays.stream(ids.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ids must be comma-separated integers, e.g. 1,306,4987");
        }
        if (tokens.length == 0) throw new IllegalArgumentException("--ids is empty");
        try (Llm llm = Llm.load(Options.resolve(model), precision); PointerScope scope = new PointerScope();
             var s = llm.newSession()) {
            int v = llm.config().vocabSize();
            for (int t : tokens) if (t < 0 || t >= v) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + v + ")");
            if (tokens.length > llm.config().maxPositionEmbeddings()) {
                throw new IllegalArgumentException(tokens.length + " tokens exceed the model's context of " + llm.config().maxPositionEmbeddings());
            }
            Tensor h = llm.forward(llm.embed(Torch.fromInts(tokens).unsqueeze(0)), 0, null, null, null);
            Npy.write(out, Torch.toFloats(llm.logits(h)), tokens.length, v);
            System.err.println("wrote " + out + " [" + tokens.length + ", " + v + "]");
        }
    }
}
