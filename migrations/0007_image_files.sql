-- commerce-syncd schema: product images as files. The `images` table of 0003 (url NOT NULL) was
-- never written; it is rebuilt for images downloaded as archives (Sunsky product!getImages.do)
-- and kept as content-addressed files. Conventions: see 0001_initial.sql.
DROP TABLE images;

-- One row per image of a product, by position (0 = the archive's first image). The file's name
-- is its sha256, so a file shared by several products is stored once; it is removed once no row
-- names it any more.
CREATE TABLE images (
    account             TEXT NOT NULL REFERENCES accounts (name),
    product_external_id TEXT NOT NULL,          -- products.external_id (Sunsky itemNo)
    position            INTEGER NOT NULL,
    file_path           TEXT NOT NULL,          -- absolute path of the image file
    sha256              TEXT NOT NULL,          -- hex digest of the file's bytes
    byte_size           INTEGER NOT NULL,
    source_modified_at  TEXT,                   -- when the platform changed the product's images
    first_seen_at       TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    content_hash        TEXT NOT NULL,
    PRIMARY KEY (account, product_external_id, position)
) STRICT;

CREATE INDEX images_by_file ON images (file_path);
