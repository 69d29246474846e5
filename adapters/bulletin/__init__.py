"""The monthly bulletin (通报) as an Excel workbook and as a PDF."""
