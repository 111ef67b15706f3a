package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.output.Printer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral create image}: uploads the parts given as files, then creates the Image naming them by sha256. */
@Command(name = "image", description = "Create an Image from a kernel, an optional initrd and an optional root disk.",
        footer = {"", "Each part is a local FILE (uploaded first) or sha256:HEX (already uploaded, e.g. by corral upload).",
                "A disk's format is qcow2 when a local file starts with the qcow2 magic, else raw, unless --disk-format says.",
                "", "Examples:", "  corral create image debian --kernel ./vmlinuz --initrd ./initrd.img --disk ./debian.qcow2",
                "  corral create image tiny --kernel sha256:0f3c... --cmdline 'console=ttyS0'"})
final class CreateImageCommand implements Callable<Integer> {

    private static final Pattern SHA = Pattern.compile("sha256:([0-9a-f]{64})");
    private static final byte[] QCOW2_MAGIC = {'Q', 'F', 'I', (byte) 0xfb};

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--kernel", required = true, paramLabel = "FILE|sha256:HEX", description = "A bzImage or a PVH ELF kernel.")
    String kernel;

    @Option(names = "--initrd", paramLabel = "FILE|sha256:HEX", description = "An initial ramdisk.")
    String initrd;

    @Option(names = "--disk", paramLabel = "FILE|sha256:HEX",
            description = "The root disk VMs boot from (raw, a multiple of 512 bytes, or qcow2 without a backing file).")
    String disk;

    @Option(names = "--disk-format", paramLabel = "FORMAT", description = "raw or qcow2 (default: detected from a local file, else raw).")
    String diskFormat;

    @Option(names = "--cmdline", paramLabel = "CMDLINE", description = "The default kernel command line.")
    String cmdline;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label (repeatable).")
    Map<String, String> labels = new TreeMap<>();

    @Option(names = "--dry-run", description = "Print what would be created; upload and change nothing.")
    boolean dryRun;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json, yaml or name instead of the one-line summary.")
    String output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (diskFormat != null && !diskFormat.equals("raw") && !diskFormat.equals("qcow2")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--disk-format " + diskFormat + ": expected raw or qcow2");
        }
        if (diskFormat != null && disk == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--disk-format needs --disk");
        }
        var s = CorralClient.JSON.createObjectNode();
        s.putObject("kernel").put("sha256", blob("--kernel", kernel));
        if (initrd != null) {
            s.putObject("initrd").put("sha256", blob("--initrd", initrd));
        }
        if (disk != null) {
            var d = s.putObject("disk");
            d.put("sha256", blob("--disk", disk));
            String format = diskFormat != null ? diskFormat : SHA.matcher(disk).matches() ? null : detectFormat(Path.of(disk));
            if (format != null) {
                d.put("format", format);
            }
        }
        if (cmdline != null) {
            s.put("cmdline", cmdline);
        }
        var body = CorralClient.JSON.createObjectNode();
        body.put("apiVersion", "corral/v1");
        body.put("kind", Kinds.IMAGE.kind);
        var meta = body.putObject("metadata");
        meta.put("name", name);
        if (!labels.isEmpty()) {
            meta.set("labels", CorralClient.JSON.valueToTree(labels));
        }
        body.set("spec", s);
        ObjectNode result = body;
        if (!dryRun) {
            result = (ObjectNode) options.client().send("POST", Kinds.IMAGE.path, Map.of("project", options.project()), body, Map.of()).body();
        }
        var out = spec.commandLine().getOut();
        if (output != null) {
            GetCommand.print(out, Kinds.IMAGE, List.of(result), Printer.format(output), result);
        } else {
            out.println(Kinds.IMAGE.singular() + "/" + name + " created" + (dryRun ? " (dry run)" : ""));
            out.flush();
        }
        return 0;
    }

    /** The sha256 of a part: given, or of a local file uploaded now (computed only, on a dry run). */
    private String blob(String flag, String value) {
        var m = SHA.matcher(value);
        if (m.matches()) {
            return m.group(1);
        }
        var file = Path.of(value);
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + value + ": no such file (or give sha256:HEX, 64 lowercase hex digits)");
        }
        if (dryRun) {
            return sha256(file);
        }
        return options.client().upload(file).body().path("sha256").asText();
    }

    static String detectFormat(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return java.util.Arrays.equals(in.readNBytes(4), QCOW2_MAGIC) ? "qcow2" : "raw";
        } catch (IOException e) {
            throw new CorralClientException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            var digest = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new CorralClientException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
