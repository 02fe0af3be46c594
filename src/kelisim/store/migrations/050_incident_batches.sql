-- Data lifecycle (issue 10): which import wrote an incident, so a batch can be deleted whole.
-- NULL batch: bundled, or entered in the dashboard.
ALTER TABLE incidents ADD COLUMN batch VARCHAR;

CREATE TABLE incident_batches (
    batch       VARCHAR PRIMARY KEY,   -- the imported file's name without its suffix
    file        VARCHAR NOT NULL,      -- the path given to `kelisim incidents import`
    incidents   INTEGER NOT NULL,      -- how many rows the import wrote
    imported_at TIMESTAMP DEFAULT current_timestamp
);
