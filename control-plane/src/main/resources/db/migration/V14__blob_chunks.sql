-- A blob's content in chunks of 1 MiB (dev.corral.controlplane.image.BlobService.CHUNK), numbered from 0, each full
-- but the last. A download, a layer scan or a disk's header read loads one chunk at a time: the whole content in one
-- bytea was loaded whole into the control plane's heap for every download (a 512 MiB disk, and the same again twice
-- over as PgJDBC's hex text) and into the server's memory for every upload, and PostgreSQL refuses a field over 1 GB.
-- A blob's row and its chunks are written in one transaction: a reader never sees a blob without all its content.
CREATE TABLE blob_chunk (
    sha256   text    NOT NULL REFERENCES blob (sha256) ON DELETE CASCADE,
    seq      integer NOT NULL CHECK (seq >= 0),
    content  bytea   NOT NULL CHECK (length(content) BETWEEN 1 AND 1048576),
    PRIMARY KEY (sha256, seq)
);

-- What an earlier control plane stored (the local cloud's data directory survives upgrades). Each blob's content is
-- read and decompressed once (the concatenation gives a plain value), then cut: substring on the stored, compressed
-- value would decompress from its start again for every chunk.
DO $$
DECLARE
    blob_row record;
    whole    bytea;
BEGIN
    FOR blob_row IN SELECT sha256, size FROM blob LOOP
        SELECT content || ''::bytea INTO whole FROM blob WHERE sha256 = blob_row.sha256;
        FOR i IN 0 .. ceil(length(whole) / 1048576.0)::integer - 1 LOOP
            INSERT INTO blob_chunk (sha256, seq, content)
            VALUES (blob_row.sha256, i, substring(whole FROM i * 1048576 + 1 FOR 1048576));
        END LOOP;
    END LOOP;
END
$$;

ALTER TABLE blob DROP COLUMN content;
