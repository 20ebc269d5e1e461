"""Notices to people: jinja2 templates in Chinese for every notice kind, rendered
per channel within its limits (SMS, email, WeCom, DingTalk, Feishu), delivered
through apprise with duban's own rate limits, retries and checks of each
platform's answer, and every attempt recorded. Secrets are looked up by name at
send time and never rendered. (Being built under issue #4.)"""
