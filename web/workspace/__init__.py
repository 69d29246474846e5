"""The web workspace (工作台): server-rendered pages in Chinese, their forms, templates and styles."""
