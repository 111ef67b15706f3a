package dev.corral.cli.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.corral.api.Problem;
import dev.corral.api.ServerVersion;

/** The API, as the CLI calls it. Problem+json answers become a {@link CorralClientException} with one line. */
public final class CorralClient {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final URI server;
    private final HttpClient http;

    public CorralClient(URI server) {
        this.server = server;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public ServerVersion version() {
        return get("/v1/version", ServerVersion.class);
    }

    private <T> T get(String path, Class<T> type) {
        var request = HttpRequest.newBuilder(server.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json")
                .GET()
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new CorralClientException("cannot reach the Corral API at " + server + " (is the control plane running?)", e);
        } catch (IOException e) {
            throw new CorralClientException("request to " + server.resolve(path) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralClientException("interrupted", e);
        }
        try {
            if (response.statusCode() >= 400) {
                throw problem(response);
            }
            return JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new CorralClientException("the server at " + server + " sent an answer that is not Corral JSON: " + e.getMessage(), e);
        }
    }

    private static CorralClientException problem(HttpResponse<byte[]> response) throws IOException {
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (contentType.startsWith(Problem.MEDIA_TYPE)) {
            var p = JSON.readValue(response.body(), Problem.class);
            return new CorralClientException(p.title() + " (" + p.status() + "): " + p.detail());
        }
        return new CorralClientException("HTTP " + response.statusCode() + " from " + response.uri());
    }
}
