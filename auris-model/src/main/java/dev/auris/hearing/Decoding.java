package dev.auris.hearing;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * auris.json's {@code decoding} section: how a ctc-compress model hears a clip at inference, validated here
 * once. {@code beam} > 0: the clip is heard as the model's own transcript, found by the joint CTC / LLM
 * beam search of that width ({@link JointCtcDecoder}); 0: it enters as the connector's soft segments (and a
 * transcript, when asked for, searches with the default beam). {@code ctc_weight} λ weighs the CTC prefix
 * score against the LLM's (1 − λ); {@code length_bonus} β adds β nats a token (ESPnet's insertion reward);
 * {@code tta_warps} averages the CTC posteriors over mel-warped views of the clip (1 is the clip itself).
 *
 * <p>Defaults: a beam of 8 and equal weights. models/tiny sets λ 0.4 and β 2: on 120 held-out clips outside
 * its bundled evaluation, with two-pass hearing, WER 7.7 / 4.9 / 5.5 / 7.1 % and agreement 72.5 / 75.8 /
 * 72.5 / 69.2 % at λ 0.3 / 0.4 / 0.5 / 0.6 (beam 8); beam 16 at λ 0.5: WER 5.4 %, agreement 74.2 %, 1.8×
 * the time; tta_warps [0.9, 1, 1.1] at λ 0.5: WER 5.6 %, agreement 71.7 %. Then at λ 0.4, β 0 / 1 / 2 / 3:
 * WER 4.9 / 4.1 / 4.1 / 4.7 %, agreement 75.8 / 80.0 / 82.5 / 80.8 %. No bonus by default: its scale
 * depends on the LLM's and the CTC's.
 *
 * <p>Models saved before this section existed kept these settings in {@code connector}: {@link #split}
 * moves them here when such a file is read.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Decoding(int beam, double ctcWeight, double lengthBonus, List<Double> ttaWarps) {
    public static final int BEAM = 8;
    public static final double CTC_WEIGHT = 0.5;
    /** The largest length bonus: a few nats a token already outweighs any LM (and lets a search run to its budget). */
    public static final double MAX_BONUS = 5;
    public static final Decoding DEFAULT = new Decoding(BEAM, CTC_WEIGHT, 0, List.of());
    /** The keys of this section, as older auris.json files kept them in {@code connector}. */
    static final Set<String> KEYS = Set.of("beam", "ctc_weight", "length_bonus", "tta_warps");

    public Decoding {
        if (beam < 0) throw new IllegalArgumentException("decoding.beam must be 0 (soft segments at inference) or positive (auris.json: decoding.beam), got " + beam);
        if (!(ctcWeight >= 0 && ctcWeight <= 1)) throw new IllegalArgumentException("decoding.ctc_weight must be in [0, 1] (auris.json: decoding.ctc_weight), got " + ctcWeight);
        if (!(lengthBonus >= 0 && lengthBonus <= MAX_BONUS)) {
            throw new IllegalArgumentException("decoding.length_bonus must be in [0, " + MAX_BONUS + "] nats a token (auris.json: decoding.length_bonus), got " + lengthBonus);
        }
        ttaWarps = ttaWarps == null ? List.of() : List.copyOf(ttaWarps);
        for (double a : ttaWarps) {
            if (!(a >= 0.5 && a <= 2)) throw new IllegalArgumentException("decoding.tta_warps: each must be a mel-axis factor in [0.5, 2], got " + a + " (auris.json: decoding.tta_warps)");
        }
    }

    /** auris.json's form: absent fields take the defaults. */
    @JsonCreator
    static Decoding of(@JsonProperty("beam") Integer beam, @JsonProperty("ctc_weight") Double ctcWeight,
                       @JsonProperty("length_bonus") Double lengthBonus, @JsonProperty("tta_warps") List<Double> ttaWarps) {
        return new Decoding(beam == null ? BEAM : beam, ctcWeight == null ? CTC_WEIGHT : ctcWeight, lengthBonus == null ? 0 : lengthBonus, ttaWarps);
    }

    /**
     * Splits a connector section as older auris.json files and recipes write it: the decoding keys it holds
     * (null when none) and the connector section without them. The map is left as it is.
     */
    public static Map.Entry<Decoding, Map<String, Object>> split(Map<String, Object> connector) {
        Map<String, Object> rest = new java.util.LinkedHashMap<>(connector), found = new java.util.LinkedHashMap<>();
        for (String k : KEYS) if (rest.containsKey(k)) found.put(k, rest.remove(k));
        if (found.isEmpty()) return new java.util.AbstractMap.SimpleImmutableEntry<>(null, rest);
        return new java.util.AbstractMap.SimpleImmutableEntry<>(DEFAULT.withFields(found), rest);
    }

    private Decoding withFields(Map<String, Object> f) {
        Number b = number(f, "beam"), w = number(f, "ctc_weight"), l = number(f, "length_bonus");
        Object t = f.get("tta_warps");
        List<Double> warps = ttaWarps;
        if (t != null) {
            if (!(t instanceof List<?> list) || !list.stream().allMatch(x -> x instanceof Number)) {
                throw new IllegalArgumentException("decoding.tta_warps must be a list of numbers, got " + t);
            }
            warps = list.stream().map(x -> ((Number) x).doubleValue()).toList();
        }
        return new Decoding(b == null ? beam : b.intValue(), w == null ? ctcWeight : w.doubleValue(), l == null ? lengthBonus : l.doubleValue(), warps);
    }

    private static Number number(Map<String, Object> f, String key) {
        Object v = f.get(key);
        if (v == null || v instanceof Number) return (Number) v;
        throw new IllegalArgumentException("decoding." + key + " must be a number, got '" + v + "'");
    }

    /** The width a transcript is searched with: this beam, or the default when the clip enters as soft segments. */
    public int searchBeam() { return beam > 0 ? beam : BEAM; }

    /** Whether a conversation hears a clip as the model's own transcript (else as soft segments). */
    public boolean hearsTranscript() { return beam > 0; }
}
