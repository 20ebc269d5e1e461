"""duban (督办): the doors to the system. The ``duban`` command line for
coordinators and operators lives here (later also the web pages); it reads
files through ``plans``, keeps state through ``ledger`` and starts ``flows``.
Messages are Chinese, because the people who read them are."""
