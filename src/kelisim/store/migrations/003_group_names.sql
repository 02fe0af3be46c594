-- Where a group's Kazakh name comes from (docs/data-model.md): 'official' when a BNS
-- publication in Kazakh uses it, 'own' when it is kelisim's own form.
ALTER TABLE groups ADD COLUMN name_kk_source VARCHAR;
