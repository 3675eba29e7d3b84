"""PDF reports (fpdf2) and the monthly report by e-mail.

``pdf.render_report`` turns rows into a file and knows nothing else;
``monthly`` builds reports from the cache (``export_view`` for the TUI's
``e`` key, the monthly month and its sent-state); ``mailer`` sends one;
``words.filter_words`` says a filter in plain words for any view.
"""
