"""Published cases: Preston, Heuveline & Guillot (2001) Boxes 6.1-6.2 (Sweden 1993) and
Willekens & Rogers (1978) IIASA RR-78-18 Table 1.1 (Slovenia / rest of Yugoslavia 1961)."""

import numpy as np
from typer.testing import CliRunner

from kelisim.cli import app
from kelisim.forecast.validate import sweden_checks, yugoslavia_case


def test_preston_boxes_reproduced_exactly():
    checks = sweden_checks()
    assert len(checks) == 10
    assert all(check.passed for check in checks), [c for c in checks if not c.passed]


def test_rogers_two_region_identities_and_agreement():
    result = yugoslavia_case()
    assert all(check.passed for check in result.checks), result.checks
    assert result.periods[-1] == 2001
    assert result.population.shape == (9, 2, 18)
    # Table 1.1 female population 1961, both regions: 9,503,000.
    assert result.population[0].sum() == 9_503_000
    assert np.all(result.population[-1] > 0)


def test_validate_command_prints_each_check_and_2001_regions():
    output = CliRunner().invoke(app, ["forecast", "validate"])
    assert output.exit_code == 0, output.output
    assert output.output.count("ok  ") == 14
    assert "slovenia: total" in output.output and "aged 0-4" in output.output


def test_validate_command_never_prints_scientific_notation():
    """A new user found "largest difference 2.33e-10": every figure is written out."""
    import re

    output = CliRunner().invoke(app, ["forecast", "validate"]).output
    assert not re.search(r"\d[eE][+-]?\d", output), output
    assert "(largest difference 0.000000000233)" in output
    assert "(computed 4449569.73, published 4449569.73)" in output
