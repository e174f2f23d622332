"""Translations: catalogues in `app/translations/`, Chinese (zh_CN) first, English beside it.

`text` and `catalog` are plain Python (services, jobs and rules use them to mark strings and to
write messages in a recipient's language); `web` wires Flask-Babel into requests and templates.
"""
