"""The streaming month: payslips made while the fetch goes on.

Between the fetch and the run folder, beside the payslip executor. The fetch stores one
attendance batch at a time (``engine.wecom.fetch``); as each batch file is stored,
:class:`MonthStream` computes that batch's employees and sends their payslips to the
executor, so the cores render while the network waits on WeCom's rate limit. Once WeCom
has answered, the pipeline computes the whole month from the finished snapshot exactly as
a sequential run does (and writes its files while the last payslips are made), then keeps
a streamed payslip only where it was made from the same employee result, file name,
password and snapshot file (``engine.stream.final``); anything else is rendered again. A
streamed month's run folder is therefore the same bytes as a sequential run's of the same
inputs.
"""

from engine.stream.month import MonthStream, Streamed, payslip_key

__all__ = ["MonthStream", "Streamed", "payslip_key"]
