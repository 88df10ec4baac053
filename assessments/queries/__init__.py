"""Reads, one module per family of screens; each screen is one function returning frozen
dataclasses, with every queryset evaluated, so templates run no queries.

- ``own``: the employee's own pages (home, questionnaire, result, their CSV);
- ``team``: a manager's team list and team dashboard;
- ``organisation``: HR's overview of the organisation;
- ``figures``: what team and organisation pages share (cycles and their publications,
  published sums turned into rounded figures, lines of teams);
- ``access``: which teams a person may look at (navigation, home and dashboards).
"""
