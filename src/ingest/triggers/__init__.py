"""Event triggers that start ``afp_ingest`` as soon as something lands, run by the triggerer.

Each trigger is an ``airflow.triggers.base.BaseEventTrigger`` with plain keyword arguments
(what the DAG processor serialises) and reads its configuration when it starts, in the
triggerer: a DAG file that builds them never touches the network. A trigger whose path is
not configured waits quietly; the 10-minute schedule stays the safety net either way.
"""
