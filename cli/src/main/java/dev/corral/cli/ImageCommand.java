package dev.corral.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.image.OciArchive;
import dev.corral.cli.output.Printer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral image import}: a container image from an archive, without a registry. */
@Command(name = "image", description = "Work with images: import a container image archive.",
        subcommands = ImageCommand.Import.class)
final class ImageCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Say what to do: corral image import FILE [--name NAME]");
    }

    @Command(name = "import", description = "Import a container image: an OCI image layout tarball or a docker save archive.",
            footer = {"", "Its config and layers are checked against their digests, uploaded to the blob store, and an Image of",
                    "that name is created for containers to run (corral create container NAME --image IMAGE).",
                    "", "Examples:", "  corral image import busybox.oci.tar --name busybox",
                    "  corral image import app.docker.tar --ref app:1.2 --name app"})
    static final class Import implements Callable<Integer> {
        private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "FILE", description = "The archive (a tar, not compressed as a whole).")
        Path file;

        @Option(names = "--name", paramLabel = "NAME", description = "The Image's name (default: from the archive's reference, e.g. busybox for busybox:1.36).")
        String name;

        @Option(names = "--ref", paramLabel = "REF", description = "Which image, when the archive holds several (an OCI ref name or a docker tag).")
        String ref;

        @Option(names = "--dry-run", description = "Check the archive and print what would be created; upload and change nothing.")
        boolean dryRun;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json, yaml or name instead of the one-line summary.")
        String output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                throw new CommandLine.ParameterException(spec.commandLine(), file + ": no such file");
            }
            Path scratch = null;
            try {
                scratch = Files.createTempDirectory("corral-image-");
                var image = new OciArchive(CorralClient.JSON).read(file, scratch, ref);
                String imageName = name != null ? name : defaultName(image.name());
                if (imageName == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), file + " names no image: give --name");
                }
                if (!NAME.matcher(imageName).matches()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "'" + imageName + "' is not an Image name (lowercase letters, digits and '-'): give --name");
                }
                var body = body(imageName, image);
                ObjectNode result = body;
                if (!dryRun) {
                    upload(image.config());
                    image.layers().forEach(this::upload);
                    result = (ObjectNode) options.client().send("POST", Kinds.IMAGE.path, Map.of("project", options.project()), body, Map.of()).body();
                }
                var out = spec.commandLine().getOut();
                if (output != null) {
                    GetCommand.print(out, Kinds.IMAGE, List.of(result), Printer.format(output), result);
                } else {
                    out.println(Kinds.IMAGE.singular() + "/" + imageName + " imported (" + image.layers().size() + " layer"
                            + (image.layers().size() == 1 ? "" : "s") + ")" + (dryRun ? " (dry run)" : ""));
                    out.flush();
                }
                return 0;
            } catch (IOException e) {
                throw new CorralClientException(e.getMessage(), e);
            } finally {
                deleteQuietly(scratch);
            }
        }

        private void upload(OciArchive.Blob blob) {
            options.client().upload(blob.file(), blob.sha256());
        }

        static ObjectNode body(String name, OciArchive.Contents image) {
            var body = CorralClient.JSON.createObjectNode();
            body.put("apiVersion", "corral/v1");
            body.put("kind", Kinds.IMAGE.kind);
            body.putObject("metadata").put("name", name);
            var container = body.putObject("spec").putObject("container");
            container.putObject("config").put("sha256", image.config().sha256());
            var layers = container.putArray("layers");
            for (var layer : image.layers()) {
                var l = layers.addObject();
                l.put("sha256", layer.sha256());
                l.put("mediaType", layer.mediaType() != null ? layer.mediaType() : "application/vnd.oci.image.layer.v1.tar");
            }
            return body;
        }

        /** {@code docker.io/library/busybox:1.36} → {@code busybox}; an OCI ref name that is only a tag ({@code 1.36}) gives none. */
        static String defaultName(String ref) {
            if (ref == null || ref.isBlank()) {
                return null;
            }
            String last = ref.substring(ref.lastIndexOf('/') + 1);
            int colon = last.indexOf(':');
            if (colon == 0) {
                return null;
            }
            String base = colon > 0 ? last.substring(0, colon) : last;
            if (!ref.contains("/") && colon < 0 && base.matches("[0-9][0-9.]*")) {
                return null; // a bare version
            }
            return base.toLowerCase();
        }

        private static void deleteQuietly(Path dir) {
            if (dir == null) {
                return;
            }
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a scratch directory left in /tmp is harmless
            }
        }
    }
}
