"""Performance tools for developers: the dashboard benchmark and the Locust load test.

Nothing here is installed with the app or listed by ``manage.py help``; see README.md.
"""
