-- Core data model (docs/data-model.md). Codes are text; KATO codes are 9 digits.
CREATE TABLE sources (
    source_id   VARCHAR PRIMARY KEY,
    citation    VARCHAR NOT NULL,
    url         VARCHAR,
    licence     VARCHAR
);

-- One row per area per boundary version ('2018', '2024', ...).
CREATE TABLE areas (
    area_code        VARCHAR NOT NULL,      -- KATO, '000000000' = country
    boundary_version VARCHAR NOT NULL,
    level            VARCHAR NOT NULL,      -- country | region | district | settlement
    parent_code      VARCHAR,
    name_kk          VARCHAR,
    name_ru          VARCHAR,
    name_en          VARCHAR NOT NULL,
    valid_from       DATE,
    valid_to         DATE,
    source_id        VARCHAR,
    PRIMARY KEY (area_code, boundary_version)
);

-- How an area of one version maps to areas of another: weight = share of the from-area's
-- population that lies in the to-area (1.0 for unchanged or merged areas).
CREATE TABLE area_crosswalk (
    from_version VARCHAR NOT NULL,
    from_code    VARCHAR NOT NULL,
    to_version   VARCHAR NOT NULL,
    to_code      VARCHAR NOT NULL,
    weight       DOUBLE NOT NULL,
    source_id    VARCHAR,
    PRIMARY KEY (from_version, from_code, to_version, to_code)
);

CREATE TABLE groups (
    group_code VARCHAR PRIMARY KEY,   -- snake_case English, e.g. kazakh, russian, other, not_stated
    kind       VARCHAR NOT NULL,      -- group | other | not_stated
    name_kk    VARCHAR,
    name_ru    VARCHAR,
    name_en    VARCHAR NOT NULL
);

CREATE TABLE group_aliases (
    alias      VARCHAR NOT NULL,      -- lower-cased
    language   VARCHAR NOT NULL,      -- kk | ru | en
    group_code VARCHAR NOT NULL,
    PRIMARY KEY (alias, language)
);

-- A named population table (bundled or imported).
CREATE TABLE datasets (
    name             VARCHAR PRIMARY KEY,
    description      VARCHAR,
    boundary_version VARCHAR,
    origin           VARCHAR,          -- 'bundled' or the imported file's path
    imported_at      TIMESTAMP DEFAULT current_timestamp
);

-- group_code 'total' = all persons in the area.
CREATE TABLE population (
    dataset        VARCHAR NOT NULL,
    area_code      VARCHAR NOT NULL,
    group_code     VARCHAR NOT NULL,
    period         INTEGER NOT NULL,  -- year
    reference_date DATE,
    count          DOUBLE,            -- persons; NULL where only a share is published
    share          DOUBLE,            -- 0..1 as published, NULL if not
    basis          VARCHAR,           -- permanent | present
    source_id      VARCHAR,
    note           VARCHAR,
    PRIMARY KEY (dataset, area_code, group_code, period)
);

CREATE SEQUENCE incident_seq START 1;
CREATE TABLE incidents (
    incident_id    VARCHAR PRIMARY KEY,
    date_start     DATE NOT NULL,
    date_end       DATE,
    area_code      VARCHAR,           -- most precise KATO known
    region_code    VARCHAR,           -- KATO of the region (2024 division)
    place          VARCHAR,
    lat            DOUBLE,
    lon            DOUBLE,
    geo_precision  VARCHAR,
    event_type     VARCHAR,
    interethnic    VARCHAR,           -- yes | no | disputed, with qualifier in note
    groups         VARCHAR[],         -- group codes involved
    fatalities     INTEGER,
    injured        INTEGER,
    summary        VARCHAR,
    sources        VARCHAR[],
    confidence     VARCHAR,           -- high | medium | low
    origin         VARCHAR,           -- bundled | acled | ucdp | csv | web
    created_at     TIMESTAMP DEFAULT current_timestamp,
    updated_at     TIMESTAMP
);
