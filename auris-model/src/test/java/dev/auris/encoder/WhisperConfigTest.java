package dev.auris.encoder;

import dev.auris.io.CheckpointException;
import dev.auris.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The front end's hop travels in the encoder directory's preprocessor_config.json (HF WhisperFeatureExtractor). */
class WhisperConfigTest {
    @Test
    void whisperDefaultsWithoutAPreprocessorConfig() {
        WhisperConfig c = WhisperConfig.read(Golden.dir("whisper-tiny-random").resolve("config.json"));
        assertEquals(160, c.hopLength());
        assertEquals(30.0, c.maxSeconds(), 1e-9);
        assertEquals(160, c.features().hopLength());
    }

    @Test
    void hopFromThePreprocessorConfig(@TempDir Path dir) throws Exception {
        Files.copy(Golden.dir("whisper-tiny-random").resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve(WhisperConfig.PREPROCESSOR_CONFIG), "{\"feature_extractor_type\": \"WhisperFeatureExtractor\", \"hop_length\": 320}");
        WhisperConfig c = WhisperConfig.read(dir.resolve("config.json"));
        assertEquals(320, c.hopLength());
        assertEquals(60.0, c.maxSeconds(), 1e-9); // 1500 positions = 3000 frames of 20 ms
        assertEquals(320, c.features().hopLength());
    }

    @Test
    void unusableHopIsAClearError(@TempDir Path dir) throws Exception {
        Files.copy(Golden.dir("whisper-tiny-random").resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve(WhisperConfig.PREPROCESSOR_CONFIG), "{\"hop_length\": 333}");
        var e = assertThrows(CheckpointException.class, () -> WhisperConfig.read(dir.resolve("config.json")));
        assertTrue(e.getMessage().contains("hop_length 333"), e.getMessage());
        Files.writeString(dir.resolve(WhisperConfig.PREPROCESSOR_CONFIG), "{not json");
        e = assertThrows(CheckpointException.class, () -> WhisperConfig.read(dir.resolve("config.json")));
        assertTrue(e.getMessage().contains(WhisperConfig.PREPROCESSOR_CONFIG), e.getMessage());
    }
}
