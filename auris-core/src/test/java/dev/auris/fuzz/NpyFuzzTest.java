package dev.auris.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.auris.io.Npy;

/**
 * NumPy {@code .npy} of arbitrary bytes (a log-mel given to {@code auris encode-audio}): an array whose
 * shape matches its values, or a refusal. Seeds: golden arrays ({@code NpyFuzzTestInputs/}).
 */
class NpyFuzzTest {
    @FuzzTest(maxDuration = "15m", maxExecutions = 200_000)
    void npy(byte[] bytes) {
        Refusals.refuseCleanly(() -> {
            Npy.Array a = Npy.read(bytes, "fuzz.npy");
            long n = 1;
            for (long d : a.shape()) n *= d;
            if (n != a.data().length) throw new AssertionError("shape disagrees with the data");
        });
    }
}
