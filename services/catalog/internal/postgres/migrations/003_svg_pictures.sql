-- The sample catalog's pictures are SVG files the catalog serves
-- (internal/pictures); the seed named them 1.webp … 15.webp before there
-- were any. Items seeded then get the names of the pictures that now exist.
UPDATE catalog_items
SET picture_file_name = regexp_replace(picture_file_name, '\.webp$', '.svg')
WHERE picture_file_name ~ '^([1-9]|1[0-5])\.webp$';
