package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral console} on a real terminal: the CLI runs in its own JVM on a pseudo-terminal made by util-linux
 * {@code script}, against a stand-in API server; the test types into the terminal. Raw mode shows as keys passed on
 * unechoed, Ctrl-C going to the guest instead of killing the CLI, Ctrl-] detaching with exit 0, and the terminal
 * settings the same after as before.
 */
class ConsoleTerminalTest {

    private final Vertx vertx = Vertx.vertx();
    private final StringBuffer typed = new StringBuffer();

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void keysGoToTheGuestRawAndCtrlRightBracketDetachesRestoringTheTerminal() throws Exception {
        var server = vertx.createHttpServer().requestHandler(request -> request.toWebSocket().onSuccess(socket -> {
            socket.writeBinaryMessage(Buffer.buffer("corral:/# "));
            socket.binaryMessageHandler(data -> {
                typed.append(data.toString(StandardCharsets.ISO_8859_1));
                socket.writeBinaryMessage(Buffer.buffer("[got " + data.length() + "]"));
            });
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cli = java + " -cp '" + System.getProperty("java.class.path") + "' dev.corral.cli.Corral console vm/web-1 --server http://127.0.0.1:"
                + server.actualPort();
        String shell = "stty -g > before; " + cli + "; echo $? > exit; stty -g > after";
        var process = new ProcessBuilder("script", "-q", "-e", "-c", shell, "/dev/null").directory(dir.toFile()).redirectErrorStream(true).start();
        var screen = new ByteArrayOutputStream();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                process.getInputStream().transferTo(new OutputStream() {
                    @Override
                    public void write(int b) {
                        synchronized (screen) {
                            screen.write(b);
                        }
                    }
                });
            } catch (java.io.IOException e) {
                // the terminal closed
            }
        });
        OutputStream keyboard = process.getOutputStream();

        await(screen, "corral:/# ");
        keyboard.write("ls\n".getBytes(StandardCharsets.US_ASCII));
        keyboard.flush();
        await(screen, "[got ");
        keyboard.write(3); // Ctrl-C
        keyboard.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!typed.toString().contains("\u0003") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        keyboard.write(0x1d); // Ctrl-]
        keyboard.flush();

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the CLI detached; screen: " + text(screen)).isTrue();
        assertThat(typed.toString()).as("each key as it was pressed, Ctrl-C included, not Ctrl-]").isEqualTo("ls\n\u0003");
        assertThat(text(screen)).contains("Connected to vm/web-1 (escape character is ^])").doesNotContain("ls\n");
        assertThat(Files.readString(dir.resolve("exit")).strip()).isEqualTo("0");
        assertThat(Files.readString(dir.resolve("after"))).as("the terminal as it was").isEqualTo(Files.readString(dir.resolve("before")));
    }

    private static String text(ByteArrayOutputStream screen) {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8);
        }
    }

    private static void await(ByteArrayOutputStream screen, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!text(screen).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the terminal never showed '" + text + "'; it showed: " + text(screen));
            }
            Thread.sleep(20);
        }
    }
}
