package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import dev.corral.cli.client.ConsoleConnection;
import dev.corral.cli.client.CorralClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code corral console vm/NAME}: attaches the terminal to a VM's serial console, as {@code virsh console} does. On a
 * terminal the keys go to the guest as they are pressed (raw mode, Ctrl-C included) until Ctrl-] detaches; with
 * input from a pipe or file it is passed on as it comes, and the command ends when the input does. Either way it
 * ends when the server closes the console (the VM stopped); the VM is never affected by a detach.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = "Attach to a VM's serial console: type into it and see what it writes. Ctrl-] detaches; the VM keeps running.",
        footer = {"", "Examples:", "  corral console vm/web-1", "  echo 'uname -a' | corral console vm/web-1 --tail 0",
                "", "On a terminal, keys go to the guest as they are pressed (Ctrl-C too). With input from a pipe or a",
                "file, it is sent as it comes and the command ends when the input does (Ctrl-] is not special then)."})
final class ConsoleCommand implements Callable<Integer> {

    /** Ctrl-], the escape character of telnet, virsh console and virtctl console. */
    static final byte ESCAPE = 0x1d;

    @Mixin
    ClientOptions options;

    @Parameters(arity = "1..2", paramLabel = "vm/NAME")
    List<String> args;

    @Option(names = "--tail", paramLabel = "N", defaultValue = "1",
            description = "Start with the last N lines the console holds, so the prompt shows (default 1; 0 for none).")
    int tail;

    @Spec
    CommandSpec spec;

    /** How the input side ended. */
    private enum Ended { DETACHED, INPUT_ENDED }

    @Override
    public Integer call() {
        var ref = Ref.parseNamed(spec.commandLine(), args, Kinds.VM);
        if (tail < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tail must be 0 or more, not " + tail + ".");
        }
        InputStream in = Corral.stdin(spec);
        boolean terminal = in == System.in && System.console() != null && System.console().isTerminal();
        var query = new LinkedHashMap<>(ref.projectQuery(options));
        query.put("tailLines", String.valueOf(tail));
        PrintWriter out = spec.commandLine().getOut();
        var output = new Utf8Output(out);
        var connection = options.client().attach(ref.path() + "/console/attach", query, output::write);
        if (terminal) {
            out.print("Connected to " + ref.display() + " (escape character is ^])\r\n");
            out.flush();
        }
        ConsoleConnection.Closed closed;
        try (var raw = terminal ? RawTerminal.enter() : null) {
            closed = pump(in, connection, terminal);
        }
        if (terminal) {
            out.println();
            out.flush();
        }
        if (!closed.normal()) {
            throw new CorralClientException("the console of " + ref.display() + " closed: "
                    + (closed.reason().isEmpty() ? "code " + closed.code() : closed.reason() + " (code " + closed.code() + ")"));
        }
        if (!closed.reason().equals("detached") && !closed.reason().isEmpty()) {
            spec.commandLine().getErr().println(ref.display() + ": " + closed.reason());
            spec.commandLine().getErr().flush();
        }
        return Corral.EXIT_OK;
    }

    /** Sends the input until it ends, Ctrl-] is typed (on a terminal) or the server closes; returns how it closed. */
    static ConsoleConnection.Closed pump(InputStream in, ConsoleConnection connection, boolean terminal) {
        var inputEnded = new CompletableFuture<Ended>();
        // A blocking read cannot be interrupted: when the server ends the console first, this thread is left waiting
        // for a key it will never send, and the process exits without it.
        Thread.ofPlatform().daemon().name("corral-console-input").start(() -> {
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = in.read(buffer)) >= 0 && !connection.closed().isDone(); ) {
                    int escape = terminal ? indexOf(buffer, n, ESCAPE) : -1;
                    if (escape >= 0) {
                        connection.send(buffer, 0, escape);
                        inputEnded.complete(Ended.DETACHED);
                        return;
                    }
                    connection.send(buffer, 0, n);
                }
                inputEnded.complete(Ended.INPUT_ENDED);
            } catch (IOException | RuntimeException e) {
                inputEnded.completeExceptionally(e);
            }
        });
        CompletableFuture.anyOf(inputEnded, connection.closed()).join();
        if (connection.closed().isDone()) {
            return connection.closed().join();
        }
        try {
            inputEnded.join();
        } catch (java.util.concurrent.CompletionException e) {
            connection.detach();
            throw e.getCause() instanceof CorralClientException c ? c
                    : new CorralClientException("reading the input failed: " + e.getCause().getMessage(), e.getCause());
        }
        return connection.detach();
    }

    private static int indexOf(byte[] bytes, int length, byte b) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The guest's bytes as text for the output writer: UTF-8, a character split across two frames kept until its
     * second half arrives, bytes that are not UTF-8 shown as U+FFFD.
     */
    static final class Utf8Output {
        private final PrintWriter out;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);

        Utf8Output(PrintWriter out) {
            this.out = out;
        }

        synchronized void write(byte[] bytes) {
            var in = ByteBuffer.allocate(pending.remaining() + bytes.length).put(pending).put(bytes).flip();
            var chars = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, chars, false);
            pending = in; // an incomplete sequence at the end waits for the rest
            out.write(chars.array(), 0, chars.position());
            out.flush();
        }
    }
}
