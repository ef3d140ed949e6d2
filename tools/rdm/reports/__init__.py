"""Reports: how findings and schedules are printed (text, JSON, GitHub, iCalendar).

Every function returns text; none prints, reads the clock or touches files.
"""
