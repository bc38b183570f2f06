# Italian dates without Django's leading zero: "1 Luglio 2026", not "01 Luglio 2026". (Django's
# Italian catalogue capitalises month names; a format string cannot lower them.) Everything not
# set here comes from Django's own Italian formats.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
