"""Pure domain code for duban's plans: the YAML plan model, due rules and their
expansion into concrete due dates, the Chinese working-day calendar and the
escalation policy. Nothing here touches a database or Prefect, so every rule a
coordinator relies on can be tested on its own. The reviewed plan files
themselves (``*.yaml``) and sample unit directories (``units/``) live beside the
code."""
