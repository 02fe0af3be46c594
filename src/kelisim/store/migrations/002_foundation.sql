-- Foundation additions (docs/data-model.md).
-- A population row's own boundary version: series such as regions_annual change borders over
-- time (2000-2016 South Kazakhstan includes Shymkent; 2022 Abai, Zhetysu, Ulytau). NULL means
-- the dataset's boundary_version.
ALTER TABLE population ADD COLUMN boundary_version VARCHAR;

-- Free-text remarks on an incident (qualifiers of counts, sides as reported, uncertainty).
ALTER TABLE incidents ADD COLUMN note VARCHAR;

-- Which bundled files the database was built from (a hash), so the build runs once.
CREATE TABLE bundle_state (
    name     VARCHAR PRIMARY KEY,
    checksum VARCHAR NOT NULL
);
