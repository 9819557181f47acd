package dev.auris.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.*;
import dev.auris.audio.Audio;
import dev.auris.pipeline.SpeechLlm;
import dev.auris.pipeline.SpeechSession;
import dev.auris.prompt.Turn;
import dev.auris.sample.SamplingOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The server driven as a user would, by the official OpenAI Java SDK, against the bundled models/tiny. */
class ServeSdkTest {
    static final String KEY = "sk-test-auris";
    static Server server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = Server.start(TestModel.get(), TestModel.ID, ServeConfig.defaults().withPort(0).withApiKey(KEY));
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static ChatCompletionCreateParams.Builder spokenStory(long maxTokens) {
        var audio = ChatCompletionContentPartInputAudio.builder().inputAudio(ChatCompletionContentPartInputAudio.InputAudio.builder()
                .data(TestModel.base64(TestModel.story3())).format(ChatCompletionContentPartInputAudio.InputAudio.Format.WAV).build()).build();
        return ChatCompletionCreateParams.builder().model(TestModel.ID)
                .addUserMessageOfArrayOfContentParts(List.of(ChatCompletionContentPart.ofInputAudio(audio)))
                .temperature(0.0).maxCompletionTokens(maxTokens);
    }

    /** What the model answers in-process to the same spoken turn, greedily: the server must say exactly this. */
    private static String inProcess(int maxTokens) {
        SpeechLlm m = TestModel.get();
        try (SpeechSession s = m.newSession()) {
            return s.respond(Turn.user(Turn.speech(Audio.load(TestModel.story3()))), SamplingOptions.greedy(maxTokens), e -> {}).text();
        }
    }

    @Test
    void listsTheModel() {
        var ids = client.models().list().data().stream().map(com.openai.models.models.Model::id).toList();
        assertEquals(List.of(TestModel.ID), ids);
    }

    @Test
    void chatWithInputAudioAnswersAsTheModelDoes() {
        ChatCompletion c = client.chat().completions().create(spokenStory(24).build());
        String text = c.choices().getFirst().message().content().orElseThrow();
        assertEquals(inProcess(24), text);
        assertFalse(text.isBlank());
        var usage = c.usage().orElseThrow();
        assertTrue(usage.promptTokens() > 0, "prompt tokens counted");
        assertTrue(usage.completionTokens() > 0 && usage.completionTokens() <= 24);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertEquals("chat.completion", c._object_().asString().orElseThrow());
    }

    @Test
    void streamedChatSendsTheSameTextInChunks() {
        var params = spokenStory(24).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<String> finish = new ArrayList<>();
        int[] contentChunks = {0};
        long[] usageTokens = {0};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.usage().ifPresent(u -> usageTokens[0] = u.completionTokens());
                for (var ch : chunk.choices()) {
                    ch.delta().content().ifPresent(d -> {
                        text.append(d);
                        if (!d.isEmpty()) contentChunks[0]++;
                    });
                    ch.finishReason().ifPresent(f -> finish.add(f.asString()));
                }
            });
        }
        assertEquals(inProcess(24), text.toString());
        assertTrue(contentChunks[0] > 1, "the answer arrives in several chunks, got " + contentChunks[0]);
        assertEquals(1, finish.size());
        assertTrue(usageTokens[0] > 0, "stream_options.include_usage gives a usage chunk");
    }

    @Test
    void multiTurnTextChat() {
        var params = ChatCompletionCreateParams.builder().model(TestModel.ID)
                .addUserMessage("Once upon a time")
                .addAssistantMessage("there was a little girl named Lily.")
                .addUserMessage("She liked to")
                .temperature(0.0).maxCompletionTokens(12).seed(7).build();
        String text = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        SpeechLlm m = TestModel.get();
        try (SpeechSession s = m.newSession()) {
            s.add(Turn.user(Turn.text("Once upon a time")));
            s.add(Turn.assistant("there was a little girl named Lily."));
            assertEquals(s.respond(Turn.user(Turn.text("She liked to")), SamplingOptions.greedy(12), e -> {}).text(), text);
        }
    }

    @Test
    void transcribesLikeTheCli() {
        var r = client.audio().transcriptions().create(TranscriptionCreateParams.builder().file(TestModel.story3()).model(TestModel.ID).build());
        SpeechLlm m = TestModel.get();
        String expected = m.transcriber(dev.auris.pipeline.Transcriber.Kind.defaultFor(m)).transcribe(Audio.load(TestModel.story3()), Transcriptions.MAX_TOKENS);
        assertEquals(expected, r.asTranscription().text());
        assertFalse(expected.isBlank());
    }

    @Test
    void audioOutputIsRefusedClearly() {
        var params = spokenStory(8).addModality(ChatCompletionCreateParams.Modality.TEXT).addModality(ChatCompletionCreateParams.Modality.AUDIO)
                .audio(ChatCompletionAudioParam.builder().voice("alloy").format(ChatCompletionAudioParam.Format.WAV).build()).build();
        var e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(params));
        assertEquals("audio_output_unsupported", e.code().orElseThrow());
        assertTrue(e.getMessage().contains("text only"), e.getMessage());
    }

    @Test
    void unknownModelIs404() {
        var params = ChatCompletionCreateParams.builder().model("gpt-4o-audio-preview").addUserMessage("hi").build();
        var e = assertThrows(NotFoundException.class, () -> client.chat().completions().create(params));
        assertEquals("model_not_found", e.code().orElseThrow());
    }
}
