-- Enclaves among the settlements of an imported workbook (issue 14, item 3): settlements that
-- are significantly over-concentrated in a group (Gi* on its share, k nearest neighbours on
-- the settlements' points, FDR-controlled) and connected, and how many settlements of each
-- area had a point at all (those without one are left out, never placed at invented points).

-- One row per settlement of an enclave.
CREATE TABLE settlement_enclaves (
    dataset          VARCHAR NOT NULL,
    period           INTEGER NOT NULL,
    area_code        VARCHAR NOT NULL,   -- the settlement's KATO as published
    group_code       VARCHAR NOT NULL,
    enclave          VARCHAR NOT NULL,   -- GROUP-1, GROUP-2, ... by descending count
    district_code    VARCHAR NOT NULL,   -- the 2024 district (or city) that holds it
    region_code      VARCHAR NOT NULL,   -- the 2024 region
    count            DOUBLE NOT NULL,
    total            DOUBLE NOT NULL,
    gi_star_z        DOUBLE,
    p_adjusted       DOUBLE,
    weights          VARCHAR NOT NULL,   -- e.g. knn:6
    PRIMARY KEY (dataset, area_code, group_code)
);

-- Per area (district, region, country) of a boundary version: its settlements and how many
-- of them have a point (from the bundled gazetteer or the user's points file).
CREATE TABLE settlement_coverage (
    dataset          VARCHAR NOT NULL,
    period           INTEGER NOT NULL,
    boundary_version VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,
    settlements      INTEGER NOT NULL,
    located          INTEGER NOT NULL,
    PRIMARY KEY (dataset, boundary_version, area_code)
);
