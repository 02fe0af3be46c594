-- Forecast (issue 12): each group's share of its area with its own 95% interval (quantiles of
-- the drawn shares, not ratios of count bounds); NULL where a run has no draws.
ALTER TABLE projections ADD COLUMN share DOUBLE;
ALTER TABLE projections ADD COLUMN share_lower95 DOUBLE;
ALTER TABLE projections ADD COLUMN share_upper95 DOUBLE;
