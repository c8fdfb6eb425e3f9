"""The analyst view: the warehouse's series, targets and data quality as charts and an offline HTML report.

data.py reads frames from DuckDB, display.py scales values for people, charts.py draws Plotly figures,
png.py draws one Matplotlib PNG with a CJK font, quality.py turns the expectation suites into rows, and
html.py renders templates/report.html.j2 into one self-contained file.
"""
