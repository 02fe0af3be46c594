-- Official workbooks (issue 14, docs/data-model.md): the areas a dataset brings below the
-- bundled districts, its counts placed on other boundaries, and settlement-level indices.

-- Every area of an imported workbook as published (country down to settlements).
CREATE TABLE dataset_areas (
    dataset          VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,   -- KATO as published
    boundary_version VARCHAR NOT NULL,   -- of the code ('2018' for the 2021 census)
    level            INTEGER NOT NULL,   -- as published: 0 country, 1 region, 2 district, 3+
    kind             VARCHAR NOT NULL,   -- country | region | district | rural_district | settlement
    parent_code      VARCHAR,
    district_code    VARCHAR,            -- the bundled district (or region) that holds it
    name             VARCHAR,
    leaf             BOOLEAN NOT NULL,
    lat              DOUBLE,             -- a point from a gazetteer, where one is known
    lon              DOUBLE,
    PRIMARY KEY (dataset, area_code)
);

-- A dataset's counts summed from its smallest areas up the hierarchy of another boundary
-- version (exact where the area's district moved whole; `exact` false where a split
-- district's population weights were used).
CREATE TABLE dataset_placed (
    dataset          VARCHAR NOT NULL,
    boundary_version VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,
    group_code       VARCHAR NOT NULL,
    period           INTEGER NOT NULL,
    count            DOUBLE,
    exact            BOOLEAN NOT NULL,
    PRIMARY KEY (dataset, boundary_version, area_code, group_code, period)
);

-- Segregation among the settlements of an area (Theil's M and H, total and the
-- between/within split over the next level down).
CREATE TABLE settlement_indices (
    dataset          VARCHAR NOT NULL,
    period           INTEGER NOT NULL,
    boundary_version VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,
    "index"          VARCHAR NOT NULL,   -- mutual_information | multi_theil_h
    component        VARCHAR NOT NULL,   -- total | between | within
    value            DOUBLE,
    settlements      INTEGER NOT NULL,
    PRIMARY KEY (dataset, period, boundary_version, area_code, "index", component)
);
