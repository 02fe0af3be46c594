-- PostGIS, where present (PostgreSQL only; applied as written, never on DuckDB nor without the
-- extension): a point geometry (WGS 84, SRID 4326) beside the lat/lon of the tables that
-- carry them, kept by PostgreSQL itself (a generated column, so every writer stays unchanged),
-- with a GiST index for the map's bounding-box queries (store.incidents.incidents).
CREATE EXTENSION IF NOT EXISTS postgis;

ALTER TABLE incidents ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS (
    CASE WHEN lat IS NOT NULL AND lon IS NOT NULL
         THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED;
CREATE INDEX incidents_geom ON incidents USING GIST (geom);

ALTER TABLE dataset_areas ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS (
    CASE WHEN lat IS NOT NULL AND lon IS NOT NULL
         THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED;
CREATE INDEX dataset_areas_geom ON dataset_areas USING GIST (geom);
