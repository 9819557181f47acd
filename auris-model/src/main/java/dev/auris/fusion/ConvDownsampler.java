package dev.auris.fusion;

import dev.auris.nn.Params;
import dev.auris.nn.Linear;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * A strided 1-D convolution (kernel k, stride k) with GELU, then a linear layer into the LLM width:
 * downsampling by k with learned mixing of neighbouring frames. Clips shorter than k frames are
 * zero-padded to k.
 */
public record ConvDownsampler(int k, Tensor convWeight, Tensor convBias, Linear proj, Map<String, Tensor> parameters) implements Connector {
    public static ConvDownsampler create(int k, int encoderDim, int hidden, int llmDim, Params p) {
        if (k <= 0 || hidden <= 0) throw new IllegalArgumentException("conv: k and hidden must be positive (auris.json: connector)");
        return new ConvDownsampler(k, p.get("conv.weight", hidden, encoderDim, k), p.get("conv.bias", hidden),
                new Linear(p.get("proj.weight", llmDim, hidden), p.get("proj.bias", llmDim)), p.all());
    }

    @Override
    public Tensor embed(Tensor features, Tensor tokens) {
        Tensor x = features.to(convWeight.scalar_type());
        if (x.size(1) < k) x = Connector.stackFrames(x, k).reshape(x.size(0), k, x.size(2));
        Tensor c = torch.conv1d(x.transpose(1, 2), convWeight, new TensorOptional(convBias), new long[]{k}, new long[]{0}, new long[]{1}, 1); // [B, H, T/k]
        return proj.apply(torch.gelu(c).transpose(1, 2));                                                                                   // [B, T/k, D]
    }

    @Override
    public ConnectorSpec spec() { return new ConnectorSpec.Conv(k, (int) convWeight.size(0)); }
}
