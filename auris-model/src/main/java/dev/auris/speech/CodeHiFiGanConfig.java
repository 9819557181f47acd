package dev.auris.speech;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.auris.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fairseq unit HiFi-GAN as its {@code config.json} describes it (keys of fairseq's {@code CodeGenerator} /
 * {@code Generator}: {@code num_embeddings}, {@code embedding_dim}, {@code model_in_dim},
 * {@code upsample_rates}, {@code upsample_kernel_sizes}, {@code upsample_initial_channel},
 * {@code resblock_kernel_sizes}, {@code resblock_dilation_sizes}, {@code dur_predictor_params}
 * {encoder_embed_dim, var_pred_hidden_dim, var_pred_kernel_size}, {@code sampling_rate}). Speaker, f0 and
 * embedder conditioning ({@code multispkr}, {@code f0}, {@code embedder_params}) and {@code resblock} "2"
 * are not supported and say so.
 */
public record CodeHiFiGanConfig(int numEmbeddings, int embeddingDim, int modelInDim, List<Integer> upsampleRates,
                                List<Integer> upsampleKernelSizes, int upsampleInitialChannel, List<Integer> resblockKernelSizes,
                                List<List<Integer>> resblockDilationSizes, DurationPredictor durationPredictor, int samplingRate) {

    /** fairseq {@code VariancePredictor} sizes; null in the config means no duration prediction. */
    public record DurationPredictor(int embedDim, int hiddenDim, int kernelSize) {}

    public CodeHiFiGanConfig {
        upsampleRates = List.copyOf(upsampleRates);
        upsampleKernelSizes = List.copyOf(upsampleKernelSizes);
        resblockKernelSizes = List.copyOf(resblockKernelSizes);
        resblockDilationSizes = resblockDilationSizes.stream().map(List::copyOf).toList();
        require(numEmbeddings > 0 && embeddingDim > 0, "num_embeddings and embedding_dim must be positive");
        require(modelInDim == embeddingDim, "model_in_dim (" + modelInDim + ") must equal embedding_dim (" + embeddingDim + ") without speaker/f0 conditioning");
        require(!upsampleRates.isEmpty() && upsampleRates.size() == upsampleKernelSizes.size(), "upsample_rates and upsample_kernel_sizes must be non-empty and of equal length");
        for (int i = 0; i < upsampleRates.size(); i++) {
            int u = upsampleRates.get(i), k = upsampleKernelSizes.get(i);
            require(u > 0 && k >= u && (k - u) % 2 == 0, "upsample stage " + i + ": kernel " + k + " − rate " + u + " must be even and ≥ 0 (each stage then multiplies the length exactly by its rate)");
        }
        require(upsampleInitialChannel >> upsampleRates.size() > 0, "upsample_initial_channel " + upsampleInitialChannel + " is too small for " + upsampleRates.size() + " halvings");
        require(!resblockKernelSizes.isEmpty() && resblockKernelSizes.size() == resblockDilationSizes.size(), "resblock_kernel_sizes and resblock_dilation_sizes must be non-empty and of equal length");
        for (List<Integer> d : resblockDilationSizes) require(d.size() == 3, "each resblock_dilation_sizes entry has 3 dilations (resblock \"1\"), got " + d);
        require(durationPredictor == null || durationPredictor.embedDim() == embeddingDim, "dur_predictor_params.encoder_embed_dim must equal embedding_dim");
        // fastspeech2.py VariancePredictor: conv2 pads 1 whatever the kernel, so only k = 3 keeps one duration per unit
        require(durationPredictor == null || durationPredictor.kernelSize() == 3, "dur_predictor_params.var_pred_kernel_size must be 3 (fairseq's conv2 pads by 1)");
    }

    private static void require(boolean ok, String msg) {
        if (!ok) throw new CheckpointException("vocoder config.json: " + msg);
    }

    /** H = ∏ upsample rates. */
    public int samplesPerFrame() {
        int h = 1;
        for (int u : upsampleRates) h *= u;
        return h;
    }

    public static CodeHiFiGanConfig read(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new CheckpointException(configJson + ": cannot read the vocoder config (" + e.getMessage() + ")", e);
        }
        for (String key : List.of("multispkr", "f0", "embedder_params")) {
            if (c.hasNonNull(key) && !(c.get(key).isBoolean() && !c.get(key).asBoolean())) {
                throw new CheckpointException(configJson.toString(), null, "'" + key + "' conditioning is not supported", "use a single-speaker unit vocoder without f0 (as LLaMA-Omni's)");
            }
        }
        if (!c.path("resblock").asText("1").equals("1")) {
            throw new CheckpointException(configJson.toString(), null, "resblock '" + c.get("resblock").asText() + "' is not supported", "fairseq's unit vocoders use resblock \"1\"");
        }
        JsonNode dp = c.path("dur_predictor_params");
        DurationPredictor dur = dp.isObject() && !dp.isEmpty() ? new DurationPredictor(dp.path("encoder_embed_dim").asInt(), dp.path("var_pred_hidden_dim").asInt(),
                dp.path("var_pred_kernel_size").asInt(3)) : null;
        List<List<Integer>> dil = new ArrayList<>();
        c.path("resblock_dilation_sizes").forEach(d -> dil.add(ints(d)));
        int emb = c.path("embedding_dim").asInt();
        return new CodeHiFiGanConfig(c.path("num_embeddings").asInt(), emb, c.path("model_in_dim").asInt(80), ints(c.path("upsample_rates")),
                ints(c.path("upsample_kernel_sizes")), c.path("upsample_initial_channel").asInt(), ints(c.path("resblock_kernel_sizes")), dil, dur,
                c.path("sampling_rate").asInt(16000));
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }
}
