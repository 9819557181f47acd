package dev.auris.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.*;
import dev.auris.audio.Audio;
import dev.auris.audio.AudioClip;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * input_audio and transcriptions take FLAC and MP3 as well as WAV (decoded by FFmpeg through JavaCV): story-3.wav
 * encoded here by FFmpeg's own encoders. FLAC is lossless, so it must be heard exactly as the WAV; MP3 is lossy,
 * so it must be heard (a transcript, an answer) without error. A format the decoder does not know is a 400 naming
 * the ones it does.
 */
class ServeAudioFormatsTest {
    @TempDir
    static Path tmp;
    static Server server;
    static OpenAIClient client;
    static Path flac, mp3;

    @BeforeAll
    static void start() throws Exception {
        AudioClip story = Audio.load(TestModel.story3());
        flac = encode(story, tmp.resolve("story-3.flac"), "flac", avcodec.AV_CODEC_ID_FLAC, avutilS16());
        mp3 = encode(story, tmp.resolve("story-3.mp3"), "mp3", avcodec.AV_CODEC_ID_MP3, org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16P);
        server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0));
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("none").maxRetries(0).build();
    }

    private static int avutilS16() { return org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16; }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static Path encode(AudioClip clip, Path file, String format, int codec, int sampleFormat) throws Exception {
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), 1)) {
            r.setFormat(format);
            r.setAudioCodec(codec);
            r.setSampleRate(clip.sampleRate());
            r.setSampleFormat(sampleFormat);
            if (codec == avcodec.AV_CODEC_ID_MP3) r.setAudioBitrate(64_000);
            r.start();
            r.recordSamples(clip.sampleRate(), 1, FloatBuffer.wrap(clip.samples()));
            r.stop();
        }
        return file;
    }

    private static String transcribe(Path file) {
        return client.audio().transcriptions().create(TranscriptionCreateParams.builder().file(file).model(TestModel.ID).build()).asTranscription().text();
    }

    private static String answer(Path file, String format) {
        String body = Http.chatWithAudio(Base64.getEncoder().encodeToString(TestModel.bytes(file)), 16).replace("\"format\": \"wav\"", "\"format\": \"" + format + "\"");
        var r = new Http(server.port(), null).postJson("/v1/chat/completions", body);
        assertEquals(200, r.status(), r.body());
        return r.json().path("choices").path(0).path("message").path("content").asText();
    }

    @Test
    void flacIsHeardExactlyAsTheWav() {
        assertEquals(transcribe(TestModel.story3()), transcribe(flac));
        assertEquals(answer(TestModel.story3(), "wav"), answer(flac, "flac"));
    }

    @Test
    void mp3IsHeard() {
        String heard = transcribe(mp3), wav = transcribe(TestModel.story3());
        System.out.println("transcripts: wav '" + wav + "', mp3 '" + heard + "'");
        assertFalse(heard.isBlank());
        assertFalse(answer(mp3, "mp3").isBlank());
        // the SDK's own input_audio format for mp3
        var audio = ChatCompletionContentPartInputAudio.builder().inputAudio(ChatCompletionContentPartInputAudio.InputAudio.builder()
                .data(Base64.getEncoder().encodeToString(TestModel.bytes(mp3))).format(ChatCompletionContentPartInputAudio.InputAudio.Format.MP3).build()).build();
        var c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestModel.ID)
                .addUserMessageOfArrayOfContentParts(List.of(ChatCompletionContentPart.ofInputAudio(audio))).temperature(0.0).maxCompletionTokens(8).build());
        assertFalse(c.choices().getFirst().message().content().orElse("").isBlank());
    }

    @Test
    void anUnknownFormatNamesTheSupportedOnes() {
        String body = Http.chatWithAudio(Base64.getEncoder().encodeToString(TestModel.bytes(flac)), 4).replace("\"format\": \"wav\"", "\"format\": \"aiff\"");
        var r = new Http(server.port(), null).postJson("/v1/chat/completions", body);
        assertEquals(400, r.status());
        assertTrue(r.body().contains("wav, mp3, flac or ogg"), r.body());
    }
}
