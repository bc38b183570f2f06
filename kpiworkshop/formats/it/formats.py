# Italian dates without Django's leading zero: "1 luglio 2026", not "01 luglio 2026". (Django's
# Italian catalogue capitalises month names and a format string cannot lower them: our own
# catalogue, locale/it, gives them in lowercase.) Everything not set here comes from Django's
# own Italian formats.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
