"""公文: the documents duban issues (催办单, 督办单, 通报, 检查报告), rendered from jinja2
templates to Markdown and to Word in the national format (GB/T 9704-2012).

Above the ledger (it reads Document rows and plans) and below the use cases that
issue documents; nothing here sends a message or decides a step.
"""
