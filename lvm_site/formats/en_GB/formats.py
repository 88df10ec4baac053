"""British English as LVM shows it: Django's formats, with times on the 24-hour clock that
LVM's own pages and e-mails use ("6 Jan 2027, 22:59", not "10:59 p.m.")."""

DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
